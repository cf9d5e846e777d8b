"""`python -m deadweight`: the same command line as the `deadweight` script."""

from deadweight.console import run

if __name__ == "__main__":
    run()
