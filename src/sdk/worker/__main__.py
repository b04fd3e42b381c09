import sys

# Child processes of the process strategy ('spawn') re-run this file as ``__mp_main__``:
# importing the CLI only under the guard keeps their start-up light.
if __name__ == "__main__":
    from sdk.worker._cli import main  # absolute: children run this file outside its package

    sys.exit(main())
