# antrean: the two quick-start targets are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUF := .tools/node_modules/.bin/buf
BUF_VERSION := 1.75.0
# Pinned code generators: `make proto` must give the same output everywhere.
GRPCIO_TOOLS := grpcio-tools==1.85.1
MYPY_PROTOBUF := mypy-protobuf==5.1.0
GOOGLEAPIS_PROTOS := googleapis-common-protos==1.76.0
PROTO_FILES := $(wildcard proto/antrean/v1/*.proto)
GENERATED := clients/antrean/v1
# The site-packages folder that holds googleapis-common-protos' .proto files.
FIND_GOOGLEAPIS := import google.type.date_pb2 as m, pathlib; print(pathlib.Path(m.__file__).parents[2])

.PHONY: setup run test test-sqlite lint lint-proto proto check-proto bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(BIN)/antrean-server migrate
	$(BIN)/antrean-server

test: setup
	$(BIN)/pytest

test-sqlite: setup
	$(BIN)/pytest --db sqlite

$(BUF):
	npm install --silent --no-audit --no-fund --prefix .tools @bufbuild/buf@$(BUF_VERSION)

# Gives buf the googleapis protos that the installed package carries.
build/proto-deps: setup
	mkdir -p build/proto-deps/google/type
	cp "$$($(BIN)/python -c '$(FIND_GOOGLEAPIS)')/google/type/date.proto" build/proto-deps/google/type/

lint-proto: $(BUF) build/proto-deps
	$(BUF) lint
	$(BUF) format --diff --exit-code

lint: setup lint-proto
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

proto: setup
	$(BIN)/pip install --quiet $(GRPCIO_TOOLS) $(MYPY_PROTOBUF) $(GOOGLEAPIS_PROTOS)
	rm -f $(GENERATED)/*_pb2*.py $(GENERATED)/*_pb2*.pyi
	$(BIN)/python -m grpc_tools.protoc -Iproto \
		-I"$$($(BIN)/python -c 'import grpc_tools, os; print(os.path.dirname(grpc_tools.__file__))')/_proto" \
		-I"$$($(BIN)/python -c '$(FIND_GOOGLEAPIS)')" \
		--python_out=clients --grpc_python_out=clients \
		--plugin=protoc-gen-mypy=$(BIN)/protoc-gen-mypy \
		--plugin=protoc-gen-mypy_grpc=$(BIN)/protoc-gen-mypy_grpc \
		--mypy_out=clients --mypy_grpc_out=clients \
		$(PROTO_FILES)

# Fails when the committed stubs differ from what `make proto` generates.
check-proto: proto
	git diff --exit-code -- $(GENERATED)
	test -z "$$(git status --porcelain -- $(GENERATED))"

# The flash-crowd benchmark (docs/benchmarks.md); options in BENCH_ARGS, e.g.
# make bench BENCH_ARGS='--database-url postgresql://postgres@127.0.0.1/test'
bench: setup
	$(BIN)/python -m antrean.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .tools build
