"""The booking rules R2–R10 applied in short transactions.

Each public method validates its input, then runs one write transaction whose
statements hold the invariants in the database (see ``storage``). A method
returns the booking it produced, or ``Replayed`` with the stored response when
its ``request_id`` was seen before (I4).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from antrean.server.domain import codes, rules
from antrean.server.domain.clock import Clock
from antrean.server.domain.errors import BookingError, ErrorKind, invalid_argument
from antrean.server.domain.guesses import CodeGuesses
from antrean.server.domain.offices import Office
from antrean.server.domain.validation import (
    check_birth_date,
    normalize_applicant_name,
    normalize_phone_number,
)
from antrean.server.storage import (
    BookingRecord,
    BookingState,
    Conflict,
    Database,
    SlotRecord,
)
from antrean.server.storage.transaction import PendingBooking, Transaction

logger = logging.getLogger(__name__)

# How many other dates a refusal for a full or closed date suggests.
SUGGESTED_DATES = 3
# Marks a stored response as a refusal that was committed (a wrong approval
# code), so that its retry repeats the refusal instead of counting again.
REFUSED = "!refused"
# A freshly drawn booking code collides with odds of about 1 in 10^11 per
# existing booking; a few draws are more than enough.
_CODE_DRAWS = 5


@dataclass(frozen=True)
class RequestKey:
    """The caller's request id with what identifies the request it came with."""

    request_id: str
    method: str
    fingerprint: str


@dataclass(frozen=True)
class Replayed:
    """The stored response of a request id seen before."""

    response: bytes


@dataclass(frozen=True)
class DateAvailability:
    service_date: date
    capacity: int
    remaining: int


Encoder = Callable[[BookingRecord], bytes]
Outcome = BookingRecord | Replayed


class Bookings:
    """Books, confirms, cancels and checks in, for every configured office."""

    def __init__(
        self,
        database: Database,
        offices: Mapping[str, Office],
        clock: Clock,
        *,
        pending_ttl: timedelta = timedelta(minutes=15),
        max_approval_attempts: int = 5,
    ) -> None:
        self._database = database
        self._offices = offices
        self._clock = clock
        self._pending_ttl = pending_ttl
        self._max_approval_attempts = max_approval_attempts
        self._code_guesses = CodeGuesses()

    def office(self, office_id: str) -> Office:
        """Returns a configured office or refuses with OFFICE_NOT_FOUND."""
        office = self._offices.get(office_id)
        if office is not None:
            return office
        known = ", ".join(sorted(self._offices))
        if not office_id.strip():
            raise invalid_argument(
                "MISSING_OFFICE_ID",
                "office_id",
                f"office_id is required; give one of the offices: {known}.",
            )
        raise BookingError(
            ErrorKind.NOT_FOUND,
            "OFFICE_NOT_FOUND",
            f"There is no office {office_id!r}; the offices are: {known}.",
            metadata={"office_id": office_id},
        )

    # R1, R2, R5, R6, R7: a new request.

    def request(
        self,
        *,
        phone_number: str,
        office_id: str,
        applicant_name: str,
        birth_date: date,
        service_date: date,
        key: RequestKey | None = None,
        encode: Encoder | None = None,
    ) -> Outcome:
        """Records a pending booking and draws its approval code."""
        office = self.office(office_id)
        phone_number = normalize_phone_number(phone_number)
        applicant_name = normalize_applicant_name(applicant_name)

        def body(tx: Transaction, now: datetime) -> BookingRecord:
            # Checks that depend on the time run after a retry's replay, so a
            # retry after midnight still gets its first response (I4).
            check_birth_date(birth_date, office.local_date(now))
            rules.check_service_date(
                office,
                service_date,
                now,
                lambda *args: self._dates_with_room_after(*args, tx),
            )
            pending = PendingBooking(
                office_id=office.id,
                phone_number=phone_number,
                applicant_name=applicant_name,
                birth_date=birth_date,
                service_date=service_date,
                approval_code=codes.new_approval_code(),
                now=now,
                expire_time=now + self._pending_ttl,
            )
            # Most requests come from a number without a booking for a date
            # with room: one statement checks both and inserts.
            booking = tx.insert_pending_if_free(pending)
            if booking is not None:
                return booking
            # Otherwise find out why, in the order citizens are told.
            self._refuse_if_full(tx, office, service_date, now)
            tx.release_stale(phone_number, now)
            return tx.insert_pending(pending)

        try:
            return self._run(key, encode, body)
        except Conflict as conflict:
            if conflict.what != "active_booking":
                raise
            raise self._active_booking_exists(phone_number) from None

    # R3, R6, R10: confirmation.

    def confirm(
        self,
        *,
        phone_number: str,
        approval_code: str,
        key: RequestKey | None = None,
        encode: Encoder | None = None,
    ) -> Outcome:
        """Confirms the number's pending booking into the earliest slot with room."""
        phone_number = normalize_phone_number(phone_number)
        code = codes.normalize_approval_code(approval_code)
        if code is None:
            raise invalid_argument(
                "INVALID_APPROVAL_CODE",
                "approval_code",
                "An approval code is the 8 digits sent in the booking summary.",
            )

        def body(tx: Transaction, now: datetime) -> BookingRecord | BookingError:
            booking = tx.latest_booking(phone_number, for_update=True)
            refusal = rules.confirmation_refusal(
                booking, code, now, self._max_approval_attempts
            )
            if refusal is not None:
                return self._record_refusal(tx, booking, refusal)
            assert booking is not None
            if booking.state is BookingState.CONFIRMED:
                return booking  # the same code again: the same confirmation
            office = self.office(booking.office_id)
            rules.check_still_bookable(office, booking.service_date, now)
            slot = self._take_earliest_place(tx, office, booking.service_date)
            if slot is None:
                # The date filled up since the request: end the request so that
                # the number can ask for one of the dates that still have room.
                tx.set_state(booking.id, BookingState.EXPIRED)
                return self._date_full(office, booking.service_date, now, tx)
            return self._confirm_into(tx, booking, slot, now)

        return self._run(key, encode, body)

    # R4: cancellation.

    def cancel(
        self,
        *,
        phone_number: str,
        key: RequestKey | None = None,
        encode: Encoder | None = None,
    ) -> Outcome:
        """Cancels the number's active booking and returns its place."""
        phone_number = normalize_phone_number(phone_number)

        def body(tx: Transaction, now: datetime) -> BookingRecord:
            tx.release_stale(phone_number, now)
            booking = tx.active_booking(phone_number, for_update=True)
            if booking is None:
                raise rules.no_active_booking()
            if booking.slot_id is not None:
                tx.return_place(booking.slot_id)
            return tx.cancel(booking.id, now)

        return self._run(key, encode, body)

    # R8: check-in.

    def check_in(
        self,
        *,
        office_id: str,
        booking_code: str,
        key: RequestKey | None = None,
        encode: Encoder | None = None,
        caller: str = "",
    ) -> Outcome:
        """Checks an applicant in and gives the day's next queue number.

        ``caller`` names the client, whose misses of a code are throttled.
        """
        office = self.office(office_id)
        code = rules.parse_booking_code(booking_code)

        def body(tx: Transaction, now: datetime) -> BookingRecord:
            booking = tx.booking_by_code(code, for_update=True)
            rules.check_can_check_in(booking, office, now)
            assert booking is not None
            number = tx.next_queue_number(office.id, booking.service_date)
            return tx.check_in(booking.id, queue_number=number, now=now)

        with self._code_guesses.lookup(caller, self._clock.now()):
            return self._run(key, encode, body)

    # Reads.

    def get_by_code(
        self, booking_code: str, office_id: str = "", caller: str = ""
    ) -> BookingRecord:
        """The booking with this code; ``caller``'s misses are throttled."""
        code = rules.parse_booking_code(booking_code)
        if office_id:
            self.office(office_id)  # an unknown office is no miss of a code
        now = self._clock.now()
        with self._code_guesses.lookup(caller, now):
            booking = self._database.reading(lambda tx: tx.booking_by_code(code))
            if booking is None:
                raise rules.booking_not_found()
            if office_id and booking.office_id != office_id:
                raise rules.booking_of_another_office()
        return rules.as_of(booking, now)

    def get_active(self, phone_number: str, office_id: str = "") -> BookingRecord:
        phone_number = normalize_phone_number(phone_number)
        if office_id:
            self.office(office_id)
        now = self._clock.now()
        booking = self._database.reading(lambda tx: tx.active_booking(phone_number))
        # Another office's booking looks like none, so that a number's bookings
        # elsewhere stay unknown here.
        if (
            booking is None
            or not rules.is_active(booking, now)
            or (office_id and booking.office_id != office_id)
        ):
            raise rules.no_active_booking()
        return booking

    def list(
        self,
        office_id: str,
        service_date: date,
        state: BookingState | None,
        after_id: int | None,
        limit: int,
    ) -> list[BookingRecord]:
        """A page of the day's bookings, each in the state it has by now (R9)."""
        self.office(office_id)
        now = self._clock.now()

        def once() -> list[BookingRecord]:
            # Stale bookings end when their number writes again or at the
            # purge; a list (and its state filter) must not wait for that.
            with self._database.write() as tx:
                tx.release_stale_of_day(office_id, service_date, now)
                return tx.list_bookings(office_id, service_date, state, after_id, limit)

        return self._database.retrying(once, replayable=True)

    def availability(self, office_id: str) -> list[DateAvailability]:
        """The places left on each open date of the office's booking window."""
        office = self.office(office_id)
        return self._availability(office, self._clock.now())

    # Retention (DESIGN §6).

    def purge(
        self, *, request_id_retention: timedelta, personal_data_retention: timedelta
    ) -> tuple[int, int]:
        """Forgets old request ids and erases old personal data; returns counts.

        A stored response holds the booking it returned, name and number
        included, so no request id outlives the personal-data retention: a
        request is made before its service date, from which that counts.
        """
        now = self._clock.now()
        keep_request_ids = min(request_id_retention, personal_data_retention)
        with self._database.write() as tx:
            tx.release_all_stale(now)
            forgotten = tx.forget_request_ids(now - keep_request_ids)
            erased = tx.erase_personal_data((now - personal_data_retention).date())
        return forgotten, erased

    # The steps.

    def _run(
        self,
        key: RequestKey | None,
        encode: Encoder | None,
        body: Callable[[Transaction, datetime], BookingRecord | BookingError],
    ) -> Outcome:
        """Runs ``body`` in one write transaction, remembering the request id.

        ``body`` raises a BookingError to refuse and roll back, or returns one
        to refuse after committing what it recorded (a wrong approval code).
        """
        for _ in range(_CODE_DRAWS):
            try:
                # A lost connection or a deadlock runs the transaction again.
                return self._database.retrying(
                    lambda: self._run_once(key, encode, body),
                    replayable=key is not None,
                )
            except Conflict as conflict:
                replay = self._stored_replay(key) if key else None
                if replay is not None:
                    return replay
                if conflict.what != "booking_code":
                    raise
        raise BookingError(
            ErrorKind.UNAVAILABLE,
            "BOOKING_CODE_EXHAUSTED",
            "No free booking code was found; try again.",
        )

    def _run_once(self, key, encode, body) -> Outcome:
        now = self._clock.now()
        with self._database.write() as tx:
            # A request id seen before is recognised by its stored response:
            # on a refusal here, or by the unique request id when the response
            # is stored (then ``_run`` replays). Looking it up first would cost
            # every new request a statement.
            try:
                outcome = body(tx, now)
            except BookingError:
                replay = _replay(tx, key) if key is not None else None
                if replay is not None:
                    return replay
                raise
            if key is not None and encode is not None:
                refused = isinstance(outcome, BookingError)
                tx.store_response(
                    key.request_id,
                    method=key.method + (REFUSED if refused else ""),
                    fingerprint=key.fingerprint,
                    response=_encode_refusal(outcome) if refused else encode(outcome),
                    now=now,
                )
        if isinstance(outcome, BookingError):
            raise outcome
        return outcome

    def _stored_replay(self, key: RequestKey) -> Replayed | None:
        return self._database.reading(lambda tx: _replay(tx, key))

    def _record_refusal(
        self, tx: Transaction, booking: BookingRecord | None, refusal: BookingError
    ) -> BookingError:
        """Keeps what a refused confirmation must leave behind (R2, R10)."""
        if booking is None:
            raise refusal
        if refusal.reason == "BOOKING_REQUEST_EXPIRED":
            tx.set_state(booking.id, BookingState.EXPIRED)
        elif refusal.reason == "APPROVAL_CODE_MISMATCH":
            attempts = tx.count_wrong_approval(booking.id)
            left = max(self._max_approval_attempts - attempts, 0)
            refusal.metadata["attempts_left"] = str(left)
            if left == 0:
                tx.set_state(booking.id, BookingState.VOID)
        else:
            raise refusal
        return refusal

    def _take_earliest_place(
        self, tx: Transaction, office: Office, service_date: date
    ) -> SlotRecord | None:
        """Takes a place in the date's earliest slot that has room (R6, I1)."""
        slot = tx.take_earliest_place(office.id, service_date)
        if slot is not None:
            return slot
        # No slots yet, a full date, or a slot filled by a concurrent
        # confirmation between choosing it and taking it: slot by slot.
        slots = tx.slots_of(office.id, service_date)
        if not slots:
            tx.add_slots(office.id, service_date, office.slot_layout(service_date))
            slots = tx.slots_of(office.id, service_date)
        for slot in slots:
            if slot.taken < slot.capacity and tx.take_place(slot):
                return slot
        return None

    def _confirm_into(
        self, tx: Transaction, booking: BookingRecord, slot: SlotRecord, now: datetime
    ) -> BookingRecord:
        return tx.confirm(
            booking.id, booking_code=codes.new_booking_code(), slot=slot, now=now
        )

    def _refuse_if_full(
        self, tx: Transaction, office: Office, service_date: date, now: datetime
    ) -> None:
        """Refuses a request for a full date before the citizen confirms.

        One query reads the whole window, so that a refusal names the next
        dates with room from the same figures.
        """
        dates = office.open_dates(now)
        first = min(dates[0], service_date) if dates else service_date
        last = max(dates[-1], service_date) if dates else service_date
        taken = tx.taken_by_date(office.id, first, last)
        if service_date in taken:
            capacity, used = taken[service_date]
            if used >= capacity:
                availability = _availability(office, dates, taken)
                later = _later_with_room(availability, service_date)
                raise rules.date_full(service_date, later)

    def _date_full(
        self, office: Office, day: date, now: datetime, tx: Transaction
    ) -> BookingError:
        return rules.date_full(day, self._dates_with_room_after(office, day, now, tx))

    def _dates_with_room_after(
        self, office: Office, day: date, now: datetime, tx: Transaction | None = None
    ) -> list[date]:
        return _later_with_room(self._availability(office, now, tx), day)

    def _availability(
        self, office: Office, now: datetime, tx: Transaction | None = None
    ) -> list[DateAvailability]:
        dates = office.open_dates(now)
        if not dates:
            return []

        def taken_by_date(tx: Transaction) -> dict[date, tuple[int, int]]:
            return tx.taken_by_date(office.id, dates[0], dates[-1])

        taken = taken_by_date(tx) if tx else self._database.reading(taken_by_date)
        return _availability(office, dates, taken)

    def _active_booking_exists(self, phone_number: str) -> BookingError:
        booking = self._database.reading(lambda tx: tx.active_booking(phone_number))
        return rules.active_booking_exists(booking)


def _availability(
    office: Office, dates: list[date], taken: Mapping[date, tuple[int, int]]
) -> list[DateAvailability]:
    """Each open date's capacity and places left, from the slots' figures."""
    result = []
    for day in dates:
        capacity, used = taken.get(day, (office.capacity_on(day), 0))
        result.append(DateAvailability(day, capacity, capacity - used))
    return result


def _later_with_room(availability: list[DateAvailability], day: date) -> list[date]:
    later = [
        entry.service_date
        for entry in availability
        if entry.service_date > day and entry.remaining > 0
    ]
    return later[:SUGGESTED_DATES]


def _replay(tx: Transaction, key: RequestKey) -> Replayed | None:
    stored = tx.stored_response(key.request_id)
    if stored is None:
        return None
    method, fingerprint, response = stored
    refused = method.endswith(REFUSED)
    if (method.removesuffix(REFUSED), fingerprint) != (key.method, key.fingerprint):
        raise invalid_argument(
            "REQUEST_ID_REUSED",
            "request_id",
            "This request_id was used for a different request; use a new UUID "
            "for every new request.",
        )
    if refused:
        raise _decode_refusal(response)
    return Replayed(response)


def _encode_refusal(error: BookingError) -> bytes:
    return json.dumps(
        {
            "kind": error.kind.value,
            "reason": error.reason,
            "message": error.message,
            "metadata": error.metadata,
            "field": error.field,
        }
    ).encode()


def _decode_refusal(stored: bytes) -> BookingError:
    fields = json.loads(stored)
    return BookingError(
        ErrorKind(fields["kind"]),
        fields["reason"],
        fields["message"],
        metadata=fields["metadata"],
        field=fields["field"],
    )
