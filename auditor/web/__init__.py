"""The web service probe: TLS, certificate, redirect, headers, exposed paths and content."""

from auditor.web.options import ServiceStatus, WebOptions
from auditor.web.probe import SERVICE_FORMAT, ServiceResult, probe_service, probe_services

__all__ = ["SERVICE_FORMAT", "ServiceResult", "ServiceStatus", "WebOptions", "probe_service",
           "probe_services"]
