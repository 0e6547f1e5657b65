"""The daily report for energy officers: store rows → report model → HTML, PDF, CSV, e-mail.

    data.py       read what the report needs from the store (the only I/O on the way in)
    assemble.py   rows → the report model (totals, splits, KPIs, comparisons, forecasts)
    anomalies.py  after-hours, non-working-day, silent, reset and imbalance findings
    render.py     the model → HTML (jinja2) + PDF (WeasyPrint); tables.py: CSV
    (the meter tree it sums by is civicwatt.config.meters, shared with the dashboards)
    mail.py       SMTP delivery with retries
"""
