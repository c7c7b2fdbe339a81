"""
``python -m opinion_rules`` runs the command line.
"""

from .cli._main import main


raise SystemExit(main())
