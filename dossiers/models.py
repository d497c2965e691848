"""Dossiers: filing, workflow, slips, deadlines, payments, results (later issues)."""
