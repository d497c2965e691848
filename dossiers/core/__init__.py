"""The dossier core."""
