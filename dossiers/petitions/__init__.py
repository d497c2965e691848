"""Feedback and petitions (phản ánh, kiến nghị) on a procedure of the catalogue or on a dossier.

A citizen (signed in, or anonymous with a contact) files one; it is routed to the agency
responsible (the dossier's receiving agency, or the procedure's agency) with the deadlines of
the rules in force (`rules.py`, counted in that agency's working time); that agency's officers
refuse it, ask for more information or answer it, each change a row of `machine.TRANSITIONS`
run by `machine.petition_transition_run` (row lock, event, notices through the outbox in the
same transaction); an answered petition whose petitioner agreed is published on a public page
without personal data. A Django app of its own (label ``petitions``) inside the dossiers
package: it reads dossiers only through ``dossiers.selectors`` and the dossiers app does not
import it except for the statistics page's figure (``selectors.petition_counts_by_agency``).
"""
