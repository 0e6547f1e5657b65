"""Public disclosure (公示): a static, self-contained site of the published buildings' energy.

`civicwatt disclose` writes it (`site.write_site`); `civicwatt run` serves the files it wrote
under /public/ (`serve.router`). Only monthly and annual totals are published.
"""
