"""Files and deliveries made from a statistics document (`civicwatt statistics --json`'s shape):
the XLSX statistics table (`xlsx`), the PDF report with charts (`pdf`), and the scheduled
delivery that writes both and e-mails them like the daily report (`deliver`).

Everything here reads the document; nothing computes a statistic of its own, so the files
always carry the same numbers as the JSON.
"""
