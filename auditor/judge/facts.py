"""The reading step before judging: a bundle's facts, service and facility files as values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from auditor.bundle.folder import Bundle
from auditor.collect.facility import FacilityAnswers, load_answers
from auditor.judge.evaluate import Scanned, load_scanned


class Facts(Protocol):
    """What was observed of an inventory's subjects, by id (the judge stage's input)."""

    def host(self, host_id: str) -> Scanned:
        """A host as the scan left it."""

    def service(self, service_id: str) -> Scanned:
        """A web service as the scan left it."""

    def answers(self, site_id: str) -> FacilityAnswers | None:
        """A site's questionnaire answers, or None when it has none."""


@dataclass(frozen=True)
class BundleFacts:
    """The facts of a bundle folder, each file read when asked.

    10,000 hosts' facts would not fit in memory at once. Picklable: worker processes read
    their own hosts.
    """

    bundle: Bundle

    def host(self, host_id: str) -> Scanned:
        """DIR/facts/HOST.json; a missing or broken file is a host in error."""
        return load_scanned(self.bundle.facts(host_id), host_id, "facts")

    def service(self, service_id: str) -> Scanned:
        """DIR/services/SERVICE.json; a missing or broken file is a service in error."""
        return load_scanned(self.bundle.service(service_id), service_id, "service")

    def answers(self, site_id: str) -> FacilityAnswers | None:
        """The bundle's copy of a site's answers, checked against the answers schema."""
        path = self.bundle.facility(site_id)
        if not path.is_file():
            return None
        return load_answers(path, site_id, hash_evidence=False)


def read_facts(bundle: Bundle) -> BundleFacts:
    """The facts of a scanned bundle (InputError when it was never scanned)."""
    bundle.require_scanned()
    return BundleFacts(bundle)
