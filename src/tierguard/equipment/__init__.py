"""Equipment and datacenter assessment: does this host or fleet rely on PRC-produced hardware or system
software?

Readers (each returns an EquipmentOutput: assets, evidence, skipped, summary, hosts):
- ``assess_local(root=Path("/"))``: probe sysfs/procfs/os-release/dpkg under ``root``.
- ``read_osquery(path)``: osqueryi --json arrays and daemon event/batch/snapshot logs, streamed.
- ``read_inventory(path)``: a CSV or JSON CMDB export.
- ``read_snmp(path)``: ``host OID = value`` lines (snmpwalk -On output prefixed with the host).

Identification uses the versioned catalog in ``equipment/data/equipment.yaml`` plus the IEEE OUI registry
shipped with netaddr. Ambiguous vendors are EquipmentOptions, not code. Policy decisions are made by
policy packs (``us-equipment``) matching on the producer ids carried by the assets.
"""

from tierguard.equipment.catalog import EquipmentCatalog, OuiRegistry, load_equipment_catalog
from tierguard.equipment.identify import Identifier
from tierguard.equipment.inventory import read_inventory
from tierguard.equipment.local import DMI_ABSENT, assess_local
from tierguard.equipment.osquery import read_osquery
from tierguard.equipment.snmp import read_snmp
from tierguard.equipment.types import EquipmentOptions, EquipmentOutput, FleetSummary, HostVerdict, Match

__all__ = [
    "DMI_ABSENT",
    "EquipmentCatalog",
    "EquipmentOptions",
    "EquipmentOutput",
    "FleetSummary",
    "HostVerdict",
    "Identifier",
    "Match",
    "OuiRegistry",
    "assess_local",
    "load_equipment_catalog",
    "read_inventory",
    "read_osquery",
    "read_snmp",
]
