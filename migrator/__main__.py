import sys

try:
    from migrator.cli import main
except KeyboardInterrupt:  # Ctrl-C while still starting up: nothing was written yet
    sys.stderr.write("Interrupted.\n")
    sys.exit(130)

main()
