"""
``python -m opinion_rules`` runs the command line.
"""

from opinion_rules.cli._main import main


# Guarded: worker processes started by ``spawn`` (the back-test's local
# runner) import this module again under another name.
if __name__ == "__main__":
    raise SystemExit(main())
