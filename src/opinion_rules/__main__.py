"""
``python -m opinion_rules`` runs the command line.
"""

from opinion_rules.cli._main import main


raise SystemExit(main())
