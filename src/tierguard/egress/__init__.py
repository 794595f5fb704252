"""Network egress: which clients (and users) reached which AI services, from DNS, proxy and TLS logs.

Interface
---------
``HostRule(host, service, operator, jurisdiction, use_mode, strength, as_producer=True, source="")``
    A host and the AI service it belongs to. ``host`` is exact (``api.deepseek.com``), ``*.suffix`` (strict
    subdomains), ``.domain`` (the domain and its subdomains) or a pattern with ``*`` inside
    (``ark.*.bytepluses.com``). Labels are whole (``.deepseek.com`` never matches ``notdeepseek.com``); the
    most specific rule wins (exact, then the longest suffix; for one host the strongest rule).
``rules_from_catalog(catalog) -> list[HostRule]``
    Every API endpoint (``hosted-api``, strength A, named ``catalog.endpoint_service(entry)`` like the code
    scan, so egress and code evidence land on one asset; path prefixes fold into their host) and the
    providers' web hosts from ``sites.yaml`` (consoles, platforms, sign-in pages, web apps: ``consumer-app``
    B; docs, forums, pricing, status, homepages, blogs: ``consumer-app`` C). See :mod:`.rules`.
``rules_from_app_hosts(hosts) -> list[HostRule]``
    Consumer-app hosts of an app catalog (anything with ``host, app_id, service, operator, jurisdiction``)
    as ``consumer-app`` rules, strength A. Any list of rules is accepted by the reader.
``sniff(head: bytes, name: str) -> str | None``
    The log format by content (plain, gzip or zstd): ``zeek-dns``, ``zeek-ssl``, ``zeek-http`` (TSV),
    ``zeek-dns-json``, ``zeek-ssl-json``, ``zeek-http-json``, ``squid``, ``route53``, ``windows-dns``,
    ``csv``, ``json`` (the generic two need a column mapping). See :mod:`.sniff`.
``read_egress(path, *, rules, catalog, options=None, progress=None, name=None) -> EgressOutput``
    Streams the log with bounded memory (one 8 MiB buffer; usages aggregated per client, user and host;
    caps on distinct clients and usages per service, with a counted note beyond them) and returns
    ``EgressOutput(assets, evidence, skipped, notes, lines, matched, bytes_read, format, compression,
    engine)``. ``progress`` is called with the bytes read from the file so far (compressed bytes for
    gzip/zstd) after every block. ``read_egress_stream(fh, name, ...)`` does the same over an open stream.
``EgressOptions(host_column, client_column, user_column, time_column, format, max_line_bytes,
max_clients_per_service, max_usages_per_service)``
    The column mapping of a generic CSV/JSON log (``host_column`` required; without it the log is refused
    with a :class:`~tierguard.errors.TargetError` naming the columns found), overrides of the Zeek/Route 53
    field names, a forced format, and the bounds.

What comes out
--------------
One ``Asset`` (kind ``ai-service``) per service; one ``Usage`` per (client, user, host reached, use mode)
with ``count``, ``first_seen``/``last_seen`` (ISO 8601; UTC with ``Z`` where the log's times are UTC epochs
or zoned, naive local time for Windows DNS logs), ``location`` = (the log's path as given, the line of the
first match), ``excerpt`` = that line (300 characters, control characters escaped), ``host`` = the client's
host name or IP (the EC2 instance id for Route 53 logs that name one), ``user`` where the log has one,
``as_written`` = the host queried / the SNI / the URL host, ``service``, ``operator``,
``service_jurisdiction``, and the rule's strength. One ``Evidence`` (detector and kind ``egress``) per usage,
never per line.

Bad input never crashes the read: a line over ``max_line_bytes`` (1 MiB), a record that does not parse, a
truncated or corrupt gzip/zstd stream are counted ``Skipped`` records, one per reason, with the count and the
first line numbers; matched lines that are not valid UTF-8 are read with the bad bytes escaped and noted. A
column mapping that does not fit (a missing column or key, or a host column whose first rows hold no host
names) raises :class:`~tierguard.errors.TargetError`.

Speed: one multi-literal search per block over every rule's literal (Hyperscan, else Aho-Corasick); only
lines holding one are parsed, and their host is looked up by walking its suffixes in a dict. Figures:
``bench/egress/README.md``.
"""

from tierguard.egress.formats import MappingError
from tierguard.egress.reader import EgressOptions, EgressOutput, read_egress, read_egress_stream
from tierguard.egress.rules import (
    HostMatcher,
    HostRule,
    normalise_host,
    rules_from_app_hosts,
    rules_from_catalog,
)
from tierguard.egress.sniff import FORMATS, GENERIC, sniff

__all__ = [
    "FORMATS",
    "GENERIC",
    "EgressOptions",
    "EgressOutput",
    "HostMatcher",
    "HostRule",
    "MappingError",
    "normalise_host",
    "read_egress",
    "read_egress_stream",
    "rules_from_app_hosts",
    "rules_from_catalog",
    "sniff",
]
