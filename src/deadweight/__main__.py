"""`python -m deadweight`: the same command line as the `deadweight` script."""

from deadweight.cli import run

if __name__ == "__main__":
    run()
