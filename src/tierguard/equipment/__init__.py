"""Equipment and datacenter assessment: does this host or fleet rely on PRC-produced hardware or system
software?

- ``assess_local(root=Path("/"))``: probe sysfs/procfs/os-release/dpkg under ``root`` -> EquipmentOutput
  (assets, evidence, skipped, summary, hosts).
- ``Identifier`` / ``FleetCollector``: identification and per-host collection shared with the readers of
  exported inventories (osquery, CMDB, SNMP), which live one layer up in ``tierguard.inventories``.

Identification uses the versioned catalog in ``equipment/data/equipment.yaml`` plus the IEEE OUI registry
shipped with netaddr. Ambiguous vendors are EquipmentOptions, not code. Policy decisions are made by
policy packs (``us-equipment``) matching on the producer ids carried by the assets.
"""

from tierguard.equipment.catalog import EquipmentCatalog, OuiRegistry, load_equipment_catalog
from tierguard.equipment.identify import Identifier
from tierguard.equipment.local import DMI_ABSENT, assess_local
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
]
