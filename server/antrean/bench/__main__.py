"""``python -m antrean.bench``: see ``antrean.bench.cli``."""

from antrean.bench.cli import main

# The guard matters: the load generator's process imports this module again.
if __name__ == "__main__":
    main()
