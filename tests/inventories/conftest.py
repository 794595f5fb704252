from __future__ import annotations

import pytest

from tierguard.equipment import EquipmentCatalog, load_equipment_catalog


@pytest.fixture(scope="session")
def catalog() -> EquipmentCatalog:
    return load_equipment_catalog()
