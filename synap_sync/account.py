"""The account's calls, blocking: credits (``client.credits``) and permanent data deletion
(``client.data``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional
from urllib.parse import quote

from ._calls import Calls
from ._constants import (
    CREDITS_BALANCE_PATH,
    CREDITS_ESTIMATE_PATH,
    CREDITS_LEDGER_PATH,
    CREDITS_REDEEM_PATH,
    DATA_DELETE_PATH,
)
from ._transport import CallOptions, Transport
from .errors import SynapProtocolError, SynapValidationError
from .models import (
    CreditBalance,
    CreditEstimate,
    DeleteDataResult,
    LedgerEntry,
    LedgerPage,
    RedeemResult,
    encode_json,
    int_between,
    one_of,
    optional_text,
    path_segment,
    positive_number,
    refuse,
    required_text,
    whole_number,
)

__all__ = ["Credits", "Data"]

DELETE_SCOPES = ("user", "conversation", "customer")
#: Calls one ``data.delete(wait=True)`` makes at most while the service says ``continue``.
MAX_DELETE_CALLS = 50


class Credits(Calls):
    """``client.credits``: the balance, a quote before a backfill (it never debits), the ledger of what
    came and went, and redeeming a code."""

    def get_balance(self) -> CreditBalance:
        """Credits left: ``GET /v1/credits/balance``."""
        return self._call("GET", CREDITS_BALANCE_PATH, CreditBalance.from_dict)

    balance = get_balance

    def estimate(
        self,
        *,
        metric_type: str,
        units: float,
        item_count: Optional[int] = None,
        endpoint: Optional[str] = None,
        mode: Optional[str] = None,
    ) -> CreditEstimate:
        """Price ``units`` of one metered quantity (``metric_type``, e.g. ``memories_ingested``):
        ``POST /v1/credits/estimate``. A pure quote: nothing is debited.

        For a backfill: ``estimate(metric_type="memories_ingested", units=n, item_count=n,
        mode="long-range")`` (``synap-sync ingest --estimate`` does this).
        """
        if not (positive_number(units) or units == 0) or isinstance(units, bool):
            raise refuse("units", f"must be a number >= 0, got {units!r}")
        if item_count is not None and (not whole_number(item_count) or item_count < 0):
            raise refuse("item_count", f"must be a whole number >= 0 or None, got {item_count!r}")
        body = {
            "metric_type": required_text(metric_type, "metric_type"),
            "units": units,
            "item_count": item_count,
            "endpoint": optional_text(endpoint, "endpoint"),
            "mode": None if mode is None else one_of(mode, "mode", ("fast", "long-range")),
        }
        return self._call(
            "POST", CREDITS_ESTIMATE_PATH, CreditEstimate.from_dict, body=body, repeatable=True
        )  # a quote

    def get_ledger(
        self,
        *,
        entry_type: Optional[str] = None,
        from_time: Optional[datetime] = None,
        to_time: Optional[datetime] = None,
        limit: int = 100,
        offset: int = 0,
    ) -> LedgerPage:
        """One page of the credits ledger, newest first: ``GET /v1/credits/ledger``.

        :param entry_type: ``credit`` or ``debit`` (or whatever the service adds); all when None.
        :param from_time: entries created at or after this (aware datetimes keep their offset).
        :param to_time: entries created at or before this.
        """
        query: Dict[str, str] = {
            "limit": str(int_between(limit, "limit", 1, MAX_LEDGER_PAGE)),
            "offset": str(_offset(offset)),
        }
        if entry_type is not None:
            query["entry_type"] = required_text(entry_type, "entry_type")
        for name, moment, field in (("from", from_time, "from_time"), ("to", to_time, "to_time")):
            if moment is not None:
                if not isinstance(moment, datetime):
                    raise refuse(field, f"must be a datetime, not {type(moment).__name__}")
                query[name] = moment.isoformat()

        def read(reply: Any, correlation_id: str) -> LedgerPage:
            return LedgerPage.from_dict(reply, limit, offset, correlation_id)

        return self._call("GET", CREDITS_LEDGER_PATH, read, query=query)

    def ledger(
        self,
        *,
        entry_type: Optional[str] = None,
        from_time: Optional[datetime] = None,
        to_time: Optional[datetime] = None,
        page_size: int = 100,
    ) -> Iterator[LedgerEntry]:
        """Every ledger entry that matches, page after page as the iteration reaches them.

        :raises SynapProtocolError: the pages do not advance: a server or a cache that ignores ``offset``
            answers another offset than asked, or the same page again. Each page moves the offset on by
            its entries, and the walk ends at ``total``, so an endless walk is stopped, never followed.
        """
        offset = 0
        previous: Optional[List[str]] = None
        while True:
            page = self.get_ledger(
                entry_type=entry_type, from_time=from_time, to_time=to_time, limit=page_size, offset=offset
            )
            ids = [entry.ledger_id for entry in page.entries]
            if page.offset != offset:
                raise _not_advancing(f"it answered offset {page.offset} to a request for offset {offset}")
            if ids and ids == previous:
                raise _not_advancing(f"the page at offset {offset} holds the same entries as the one before")
            yield from page.entries
            previous = ids
            offset += len(page.entries)
            if not page.entries or offset >= page.total:
                return

    def redeem(self, code: str) -> RedeemResult:
        """Redeem a credit code (``SYN-XXXX-XXXX-XXXX-X``, case-sensitive, sent as given):
        ``POST /v1/credits/redeem``.

        Never resent after an unknown outcome: a second try may answer 402 "already redeemed" though the
        first worked; look for its ``redemption_id`` in the ledger instead.

        :raises SynapInsufficientCreditsError: 402, the code was redeemed already, expired or exhausted.
        :raises SynapValidationError: an unknown or malformed code.
        """
        body = {"code": required_text(code, "code")}
        return self._call("POST", CREDITS_REDEEM_PATH, RedeemResult.from_dict, body=body)


def _not_advancing(why: str) -> SynapProtocolError:
    return SynapProtocolError(f"the credits ledger's pages do not advance: {why}; stopped rather than loop")


def _offset(value: Any) -> int:
    if not whole_number(value) or value < 0:
        raise refuse("offset", f"must be a whole number >= 0, got {value!r}")
    return int(value)


#: The largest ledger page the service is asked for.
MAX_LEDGER_PAGE = 500


class Data(Calls):
    """``client.data``: permanent deletion of a user's, a customer's or a conversation's data."""

    def __init__(self, transport: Transport, options: CallOptions, initialize: Any) -> None:
        super().__init__(transport, options)
        self._initialize = initialize

    def delete(
        self,
        scope: str,
        user_id: Optional[str] = None,
        customer_id: Optional[str] = None,
        conversation_id: Optional[str] = None,
        dry_run: bool = False,
        confirm: Optional[str] = None,
        wait: bool = True,
    ) -> DeleteDataResult:
        """Delete, permanently, everything of one ``user``, ``customer`` (a management key) or
        ``conversation`` (its turns and summaries; the memories learned from it stay).

        ``dry_run=True`` counts what would go and changes nothing. Otherwise ``confirm`` must repeat
        the id being deleted. With ``wait`` (default), while the service answers ``continue`` the same
        request is sent again, up to 50 calls. ``status == "partial"`` is a result: check
        ``fully_removed``.
        """
        self._transport.refuse_when_closed()
        scope = one_of(scope, "scope", DELETE_SCOPES)
        if not isinstance(dry_run, bool):
            raise refuse("dry_run", "must be True or False")
        ids = {
            "user_id": optional_text(user_id, "user_id"),
            "customer_id": optional_text(customer_id, "customer_id"),
            "conversation_id": optional_text(conversation_id, "conversation_id"),
        }
        confirmed = optional_text(confirm, "confirm")
        target = {"user": "user_id", "customer": "customer_id", "conversation": "conversation_id"}[scope]
        if ids[target] is None:
            raise refuse(target, f"is required to delete a {scope}'s data")
        if not dry_run and confirm != ids[target]:
            raise refuse("confirm", f"must repeat the {target} being deleted ({ids[target]!r}); nothing was sent")
        self._transport.gate.refuse_customer_on_b2c(customer_id)
        # Checked first: the instance id may take a whoami call, which a refused argument should not cost.
        body: Dict[str, Any] = {"scope": scope, "instance_id": self._instance_id(), **ids}
        body.update(dry_run=dry_run, confirm=confirmed)
        encoded = encode_json(body)
        for _ in range(MAX_DELETE_CALLS):
            result = self._call("POST", DATA_DELETE_PATH, DeleteDataResult.from_dict, body=encoded, repeatable=True)
            if not (wait and result.continue_ and not dry_run):
                break
        return result

    def status(self, deletion_id: str) -> DeleteDataResult:
        """Where a deletion stands, its audit record: ``GET /v1/data/delete/{id}?instance_id=...``."""
        deletion = path_segment(deletion_id, "deletion_id")
        return self._call(
            "GET",
            DATA_DELETE_PATH + "/" + quote(deletion, safe=""),
            DeleteDataResult.from_dict,
            query={"instance_id": self._instance_id()},
        )

    def _instance_id(self) -> str:
        """The instance the deletion is for: given, or learned from whoami (asked once, here)."""
        if self._transport.instance_id is None:
            self._initialize()
        if self._transport.instance_id is None:
            raise SynapValidationError(
                "instance_id: unknown (whoami did not say); pass instance_id= to SynapClient or set SYNAP_INSTANCE_ID",
                errors=[(None, "instance_id", "unknown")],
            )
        return self._transport.instance_id
