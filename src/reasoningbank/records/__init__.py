"""Item records: how the tasks an item was shown to went, and retiring net-harmful items.

* :mod:`.record` -- :class:`ItemRecord` (an item's counts), :class:`RetirePolicy`
  (when a record is net harmful), and the version chain of an item;
* :mod:`.book` -- :class:`ItemBook`, the read side: an item by id, its record,
  retiring and restoring it by hand (what the CLI and the service use);
* :mod:`.tracker` -- :class:`ItemTracker`, the learning side: what retrieval
  showed to a task, the usage events when it is learned, automatic retirement.
"""

from __future__ import annotations

from .book import ItemBook
from .record import ItemRecord, RetirePolicy, item_record, lineage
from .tracker import ItemTracker

__all__ = ["ItemBook", "ItemRecord", "ItemTracker", "RetirePolicy", "item_record", "lineage"]
