"""
``python -m opinion_rules`` runs the command line.
"""

from ._cli import main


raise SystemExit(main())
