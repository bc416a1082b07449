"""`python -m credscope`."""

from credscope.cli import main

if __name__ == "__main__":
    main()
