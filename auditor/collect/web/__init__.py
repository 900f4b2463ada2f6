"""The web service probe: TLS, certificate, redirect, headers, exposed paths and content.

The probe itself lives in ``auditor.collect.web.probe`` (it loads requests); this package's top
only holds the light option and result types, so a scan without services never loads it.
"""

from auditor.collect.web.options import ServiceResult, ServiceStatus, WebOptions

__all__ = ["ServiceResult", "ServiceStatus", "WebOptions"]
