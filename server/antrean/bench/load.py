"""The load generator: ``grpc.aio`` callers in a process of their own.

The parent starts a ``LoadGenerator`` for one phase; the child connects, warms
the connection up and says it is ready; the parent reads the server's CPU time
and says go; the child plays the phase with its callers and sends back what it
measured and what the callers were told. Keeping the callers out of the bench's
own process keeps their CPU time apart from the parent's bookkeeping.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import grpc
from google.rpc import error_details_pb2, status_pb2
from google.type import date_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from antrean.bench.plan import Citizen
from antrean.bench.server import cpu_seconds
from antrean.v1 import booking_service_pb2 as api
from antrean.v1 import booking_service_pb2_grpc

HEALTH_CHECK = "Check"
# The only refusal a flash crowd may see: the date filled up before its turn.
EXPECTED_REASONS = frozenset({"SERVICE_DATE_FULL"})
# Health calls made before the phase starts, per caller.
WARM_UP_CALLS = 4
READY_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class HealthPhase:
    """``calls`` health checks (``calls / 2`` pairs) by ``callers`` callers."""

    calls: int
    callers: int
    timeout: float = 60.0


@dataclass(frozen=True)
class CrowdPhase:
    """The crowd's citizens, each playing its part, ``callers`` at a time."""

    citizens: Sequence[Citizen]
    callers: int
    timeout: float = 60.0


@dataclass(frozen=True)
class Latency:
    """How many calls of one RPC were made and how long they took, in seconds."""

    calls: int
    p50: float
    p99: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        ordered = sorted(seconds)
        return cls(len(ordered), _percentile(ordered, 0.50), _percentile(ordered, 0.99))


@dataclass
class PhaseResult:
    """What one phase measured, and what its callers were told."""

    seconds: float = 0.0
    latency: dict[str, Latency] = field(default_factory=dict)
    # (method, reason) of refusals the crowd expects: the date was full.
    refusals: Counter[tuple[str, str]] = field(default_factory=Counter)
    # (method, status code, reason) of every other failure.
    errors: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # Methods whose retry with the same request_id got a different response.
    retry_mismatches: Counter[str] = field(default_factory=Counter)
    # (phone number, booking code) of every acknowledged confirmation.
    confirmed: list[tuple[str, str]] = field(default_factory=list)
    # Booking codes that the crowd cancelled afterwards.
    cancelled: list[str] = field(default_factory=list)


class LoadGenerator:
    """A process that plays one phase against ``target`` when ``run`` says go."""

    def __init__(self, target: str, phase: HealthPhase | CrowdPhase) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_child, args=(child, target, phase), name="antrean-bench-load"
        )
        self._process.start()
        child.close()
        if not self._connection.poll(READY_TIMEOUT_SECONDS):
            self.close()
            raise RuntimeError("the load generator did not connect to the server")
        ready = self._connection.recv()
        if ready != "ready":
            self.close()
            raise RuntimeError(f"the load generator failed: {ready}")

    def run(self) -> PhaseResult:
        """Plays the phase; returns when every caller is done."""
        self._connection.send("go")
        outcome = self._connection.recv()
        if isinstance(outcome, str):
            raise RuntimeError(f"the load generator failed: {outcome}")
        return outcome

    def cpu_seconds(self) -> float:
        assert self._process.pid is not None
        return cpu_seconds(self._process.pid)

    def close(self) -> None:
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._connection.close()

    def __enter__(self) -> LoadGenerator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _child(connection, target: str, phase: HealthPhase | CrowdPhase) -> None:
    try:
        asyncio.run(_play(connection, target, phase))
    except BaseException as error:
        connection.send(f"{type(error).__name__}: {error}")
        raise


async def _play(connection, target: str, phase: HealthPhase | CrowdPhase) -> None:
    # The default 4 MB limit is fine; keepalive is not needed on a local link.
    async with grpc.aio.insecure_channel(target) as channel:
        await asyncio.wait_for(channel.channel_ready(), READY_TIMEOUT_SECONDS)
        health = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest()
        warm_up = [health.Check(request) for _ in range(WARM_UP_CALLS * phase.callers)]
        await asyncio.gather(*warm_up)
        connection.send("ready")
        await asyncio.get_running_loop().run_in_executor(None, connection.recv)
        if isinstance(phase, HealthPhase):
            result = await _HealthCallers(health, phase).play()
        else:
            stub = booking_service_pb2_grpc.BookingServiceStub(channel)
            result = await _Crowd(stub, phase).play()
    connection.send(result)


class _Refused(Exception):
    def __init__(self, code: grpc.StatusCode, reason: str) -> None:
        super().__init__(f"{code.name} {reason}")
        self.code = code
        self.reason = reason


class _Callers:
    """Concurrent callers that take turns at one shared list of work."""

    def __init__(self, callers: int, timeout: float) -> None:
        self._callers = callers
        self._timeout = timeout
        self._seconds: dict[str, list[float]] = {}
        self.result = PhaseResult()

    async def _all(self, work: Iterable, act) -> None:
        shared: Iterator = iter(work)

        async def caller() -> None:
            for item in shared:  # each caller takes the next item when free
                await act(item)

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(self._callers)))
        self.result.seconds = time.perf_counter() - started
        self.result.latency = {
            name: Latency.of(seconds) for name, seconds in self._seconds.items()
        }

    async def _call(self, name: str, method, request):
        seconds = self._seconds.setdefault(name, [])
        started = time.perf_counter()
        try:
            response = await method(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            seconds.append(time.perf_counter() - started)
            raise _Refused(error.code(), _reason(error)) from None
        seconds.append(time.perf_counter() - started)
        return response


class _HealthCallers(_Callers):
    def __init__(self, stub: health_pb2_grpc.HealthStub, phase: HealthPhase) -> None:
        super().__init__(phase.callers, phase.timeout)
        self._stub = stub
        self._calls = phase.calls

    async def play(self) -> PhaseResult:
        await self._all(range(self._calls), self._check)
        return self.result

    async def _check(self, _: int) -> None:
        request = health_pb2.HealthCheckRequest()
        try:
            await self._call(HEALTH_CHECK, self._stub.Check, request)
        except _Refused as refused:
            self.result.errors[HEALTH_CHECK, refused.code.name, refused.reason] += 1


class _Crowd(_Callers):
    def __init__(self, stub, phase: CrowdPhase) -> None:
        super().__init__(phase.callers, phase.timeout)
        self._stub = stub
        self._citizens = phase.citizens

    async def play(self) -> PhaseResult:
        await self._all(self._citizens, self._book)
        return self.result

    async def _book(self, citizen: Citizen) -> None:
        booking_code = await self._request_and_confirm(citizen, citizen.applicant_name)
        if booking_code is None or not citizen.cancels:
            return
        request = api.CancelBookingRequest(
            request_id=str(uuid.uuid4()), phone_number=citizen.phone_number
        )
        cancelled = await self._mutate("CancelBooking", request, citizen.retries)
        if cancelled is None:
            return
        self.result.cancelled.append(cancelled.booking.booking_code)
        await self._request_and_confirm(citizen, citizen.corrected_name)

    async def _request_and_confirm(self, citizen: Citizen, name: str) -> str | None:
        """Requests and confirms; returns the booking code, or None if refused."""
        request = api.RequestBookingRequest(
            request_id=str(uuid.uuid4()),
            phone_number=citizen.phone_number,
            office_id=citizen.office_id,
            applicant_name=name,
            birth_date=_date(citizen.birth_date),
            service_date=_date(citizen.service_date),
        )
        requested = await self._mutate("RequestBooking", request, citizen.retries)
        if requested is None:
            return None
        confirm = api.ConfirmBookingRequest(
            request_id=str(uuid.uuid4()),
            phone_number=citizen.phone_number,
            approval_code=requested.approval_code,
        )
        confirmed = await self._mutate("ConfirmBooking", confirm, citizen.retries)
        if confirmed is None:
            return None
        booking_code = confirmed.booking.booking_code
        self.result.confirmed.append((citizen.phone_number, booking_code))
        return booking_code

    async def _mutate(self, name: str, request, retries: bool):
        """Calls, and calls again with the same request_id when ``retries``."""
        method = getattr(self._stub, name)
        try:
            response = await self._call(name, method, request)
        except _Refused as refused:
            self._note(name, refused)
            return None
        if retries:
            try:
                again = await self._call(name, method, request)
            except _Refused as refused:
                self._note(name, refused)
                self.result.retry_mismatches[name] += 1
                return response
            if _bytes(again) != _bytes(response):
                self.result.retry_mismatches[name] += 1
        return response

    def _note(self, name: str, refused: _Refused) -> None:
        expected = (
            refused.code == grpc.StatusCode.RESOURCE_EXHAUSTED
            and refused.reason in EXPECTED_REASONS
        )
        if expected:
            self.result.refusals[name, refused.reason] += 1
        else:
            self.result.errors[name, refused.code.name, refused.reason] += 1


def _reason(error: grpc.aio.AioRpcError) -> str:
    """The ErrorInfo reason of a failed call, or "" when it carries none."""
    for key, value in error.trailing_metadata() or ():
        if key != "grpc-status-details-bin":
            continue
        for detail in status_pb2.Status.FromString(value).details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                return info.reason
    return ""


def _date(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _bytes(message) -> bytes:
    return message.SerializeToString(deterministic=True)


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
