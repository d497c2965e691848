"""Statistics and reports (thống kê, báo cáo): figure definitions, the daily roll-up, exports.

``definitions`` says what every figure counts, as SQL conditions on dossiers and as the
sentences printed on the pages; ``compute`` counts them straight from the dossiers (one day
for the roll-up, any period for checks and the list behind a number); ``service`` answers
every page from the roll-up table plus the live current day; ``reports`` writes the XLSX and
PDF periodic report and mails the monthly one.
"""
