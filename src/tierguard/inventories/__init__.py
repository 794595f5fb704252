"""Inventories: readers of exported equipment records (a fleet's hosts and their components) -> assets,
evidence and skipped, streamed and bounded.

Readers (each an ``InventoryReader``, see ``interface.py``):
- ``read_osquery(path)``: osqueryi --json arrays and daemon event/batch/snapshot logs, streamed.
- ``read_inventory(path)``: a CSV or JSON CMDB export (``cmdb.py``).
- ``read_snmp(path)``: ``host OID = value`` lines (snmpwalk -On output prefixed with the host).

Identification of what the records name (PCI/USB vendor ids, OUIs, OS ids, SNMP enterprises) is the
equipment stage's (``tierguard.equipment``), one layer below.
"""

from tierguard.inventories.cmdb import read_inventory
from tierguard.inventories.osquery import read_osquery
from tierguard.inventories.snmp import read_snmp

__all__ = ["read_inventory", "read_osquery", "read_snmp"]
