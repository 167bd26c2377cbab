"""Every reply the chat adapter sends, in Indonesian (``id``) and English (``en``).

A citizen reads these on a phone in a hurry: each reply is short, repeats the
facts that matter (dates as DD-MM-YYYY, codes on their own line) and ends with
what to do next. The office's own words stay in both languages: ``#batal``,
``#cek``, "kode booking", WIB/WITA/WIT.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf import timestamp_pb2

from antrean.chat.parse import NAME_MAX_LENGTH, ParseError, Problem
from antrean.client import date_from_proto, state_name
from antrean.v1 import booking_pb2, booking_service_pb2

LANGUAGES = ("id", "en")
EXAMPLE = "#Ahmad#20111967#18072027"
# R3: applicants are asked to arrive this long before their slot starts.
ARRIVE_EARLY = timedelta(minutes=30)
# Offices always send their zone; this is only a fallback for a missing one.
_DEFAULT_TIME_ZONE = "Asia/Jakarta"
# A typed date is echoed back; a long paste would bury the reply.
_ECHO_LIMIT = 24
# The server's OLDEST_BIRTH_YEAR (antrean.server.domain.validation), repeated
# because clients do not import server code; keep them equal.
OLDEST_BIRTH_YEAR = 1900
# Weekday names by date.weekday(), not strftime("%A"), which follows the locale.
_WEEKDAYS: Mapping[str, tuple[str, ...]] = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": (
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ),
}
# How a booking's state reads in a reply; the contract's names are English.
_STATES: Mapping[str, Mapping[int, str]] = {
    "id": {
        booking_pb2.Booking.STATE_PENDING: "menunggu kode persetujuan",
        booking_pb2.Booking.STATE_CONFIRMED: "dikonfirmasi",
        booking_pb2.Booking.STATE_CHECKED_IN: "sudah hadir di loket",
        booking_pb2.Booking.STATE_CANCELLED: "dibatalkan",
        booking_pb2.Booking.STATE_EXPIRED: "kedaluwarsa",
        booking_pb2.Booking.STATE_VOID: "batal",
        booking_pb2.Booking.STATE_NO_SHOW: "tidak hadir",
    },
    "en": {},
}

_TEXTS: Mapping[str, Mapping[str, str]] = {
    "id": {
        "help": (
            "Untuk memesan antrean, kirim:\n#NAMA#TGLLAHIR#TGLLAYANAN\n"
            "tanggal ditulis DDMMYYYY, contoh:\n{example}\n\n"
            "Kirim #cek untuk melihat booking Anda, #batal untuk membatalkannya."
        ),
        "example": "Contoh:\n{example}",
        "message_too_long": (
            "Pesan terlalu panjang ({count} karakter). Kirim dalam format singkat "
            "#NAMA#TGLLAHIR#TGLLAYANAN."
        ),
        "wrong_part_count": (
            "Pesan perlu 3 bagian: nama, tanggal lahir, tanggal layanan "
            "(Anda mengirim {count})."
        ),
        "name_missing": "Nama belum ditulis. Tulis nama sesuai KTP di bagian pertama.",
        "name_too_long": (
            "Nama paling banyak {maximum} huruf; Anda mengirim {count}. Tulis nama "
            "sesuai KTP, lalu kirim lagi."
        ),
        "name_characters": (
            "Nama tidak boleh berisi {text}. Nama hanya boleh berisi huruf, spasi, "
            "dan tanda . ' - , sesuai KTP; perbaiki lalu kirim lagi."
        ),
        "name_without_letters": (
            "Nama harus berisi huruf. Tulis nama sesuai KTP di bagian pertama, "
            "lalu kirim lagi."
        ),
        "birth_date_unreadable": (
            'Tanggal lahir "{text}" tidak terbaca. Tulis DDMMYYYY, contoh 20111967, '
            "lalu kirim lagi."
        ),
        "birth_date_not_real": (
            'Tanggal lahir "{text}" tidak ada di kalender. Periksa tanggal dan '
            "bulannya, lalu kirim lagi."
        ),
        "service_date_unreadable": (
            'Tanggal layanan "{text}" tidak terbaca. Tulis DDMMYYYY, contoh 18072027, '
            "lalu kirim lagi."
        ),
        "service_date_not_real": (
            'Tanggal layanan "{text}" tidak ada di kalender. Periksa tanggal dan '
            "bulannya, lalu kirim lagi."
        ),
        "approval_code_length": (
            "Kode persetujuan terdiri dari 8 angka; Anda mengirim {count}. "
            "Salin kode dari pesan kami, lalu kirim lagi."
        ),
        "summary": (
            "Permintaan booking diterima:\nNomor WhatsApp: {phone}\nNama: {name}\n"
            "Tanggal lahir: {birth}\nTanggal layanan: {service}\nKantor: {office}\n\n"
            "Belum ada yang dipesan. Untuk konfirmasi, kirim kode persetujuan ini:\n"
            "{code}"
        ),
        "summary_expiry": "Kode berlaku {minutes} menit.",
        "summary_fix": "Jika ada yang salah, kirim #batal lalu kirim permintaan baru.",
        "confirmed": "Booking dikonfirmasi.",
        "your_booking": "Booking Anda:",
        "details": (
            "Nama: {name}\nKode booking: {code}\nKantor: {office}\n"
            "Tanggal layanan: {service}"
        ),
        "hour": "Jam layanan: {hour}",
        "arrive": (
            "Datang 30 menit sebelumnya, pukul {arrive}, dengan membawa konfirmasi "
            "ini dan KTP."
        ),
        "pending": (
            "Permintaan booking untuk {service} ({name}) menunggu kode persetujuan.\n"
            "Kirim kode 8 angka dari pesan kami sebelumnya{until}; kode itu tidak "
            "dapat ditampilkan lagi. Jika sudah kedaluwarsa, kirim permintaan baru."
        ),
        "until": " sebelum pukul {time}",
        "other_state": "Booking {code} untuk {service}: {state}.",
        "cancelled_confirmed": (
            "Booking {code} untuk {service} telah dibatalkan dan tempatnya dilepas."
        ),
        "cancelled_pending": "Permintaan booking untuk {service} telah dibatalkan.",
        "book_again": "Untuk memesan lagi, kirim #NAMA#TGLLAHIR#TGLLAYANAN.",
        "busy": "Layanan sedang sibuk. Coba lagi dalam satu menit.",
        "INVALID_PHONE_NUMBER": (
            "Nomor WhatsApp ini tidak dapat dipakai untuk booking. "
            "Kirim dari nomor ponsel lain."
        ),
        "INVALID_APPLICANT_NAME": (
            "Nama tidak dapat diterima: paling banyak {maximum} huruf, hanya huruf, "
            "spasi, dan tanda . ' - , persis seperti di KTP. Contoh:\n"
            "#Siti Aminah#20111967#18072027"
        ),
        "INVALID_BIRTH_DATE": (
            "Tanggal lahir tidak dapat diterima: harus antara tahun {oldest} dan "
            "hari ini. Tulis DDMMYYYY, contoh 20111967, lalu kirim lagi."
        ),
        "INVALID_SERVICE_DATE": (
            "Tanggal layanan tidak dapat diterima. Tulis DDMMYYYY, contoh 18072027, "
            "lalu kirim lagi."
        ),
        "INVALID_APPROVAL_CODE": (
            "Kode persetujuan harus 8 angka. Salin kode dari pesan kami, "
            "lalu kirim lagi."
        ),
        "OFFICE_NOT_FOUND": (
            "Booking untuk kantor ini sedang tidak tersedia. Coba lagi nanti."
        ),
        "outside_window": "Tanggal {service} di luar masa pemesanan.",
        "window": "Pilih tanggal antara {first} dan {last}, lalu kirim lagi.",
        "window_unknown": "Pilih tanggal yang lebih dekat, lalu kirim lagi.",
        "closed_weekend": (
            "{service} adalah hari {weekday}; kantor tutup di akhir pekan."
        ),
        "closed_weekend_unknown": "{service} jatuh pada akhir pekan; kantor tutup.",
        "closed_holiday": "{service} adalah hari libur nasional{name}; kantor tutup.",
        "closed_closure": "Kantor tutup pada {service}.",
        "next_open": (
            "Tanggal buka berikutnya: {dates}. Kirim lagi permintaan dengan salah "
            "satu tanggal itu."
        ),
        "no_next_open": "Pilih hari kerja lain, lalu kirim lagi permintaan Anda.",
        "full": "Kuota tanggal {service} sudah penuh.",
        "next_available": (
            "Tanggal yang masih ada tempat: {dates}. Kirim lagi permintaan dengan "
            "salah satu tanggal itu."
        ),
        "no_next_available": "Belum ada tanggal lain yang kosong; coba lagi nanti.",
        "exists_confirmed": (
            "Nomor ini sudah punya booking di {office}: kode booking {code}, "
            "{service}{hour}. Satu nomor hanya boleh satu booking. Untuk "
            "menggantinya, kirim #batal lalu kirim permintaan baru."
        ),
        "exists_hour": " pukul {hour}",
        "exists_pending": (
            "Nomor ini sudah punya permintaan untuk {service} di {office} yang "
            "menunggu kode persetujuan. Kirim kode dari pesan kami sebelumnya, atau "
            "kirim #batal lalu kirim permintaan baru."
        ),
        "PENDING_BOOKING_NOT_FOUND": (
            "Tidak ada permintaan dari nomor ini yang menunggu kode persetujuan. "
            "Kirim permintaan dulu."
        ),
        "BOOKING_REQUEST_EXPIRED": (
            "Permintaan Anda sudah kedaluwarsa; belum ada yang dipesan. "
            "Kirim permintaan baru."
        ),
        "APPROVAL_CODE_MISMATCH": (
            "Kode persetujuan salah. Salin kode 8 angka dari pesan kami sebelumnya."
        ),
        "attempts_left": "Sisa percobaan: {count}.",
        "mismatch_void": (
            "Kode persetujuan salah, dan permintaan ini sekarang batal; belum ada "
            "yang dipesan. Kirim permintaan booking baru."
        ),
        "TOO_MANY_APPROVAL_ATTEMPTS": (
            "Kode persetujuan salah {count} kali, jadi permintaan ini batal. "
            "Kirim permintaan baru."
        ),
        "too_many_unknown": (
            "Kode persetujuan terlalu sering salah, jadi permintaan ini batal. "
            "Kirim permintaan baru."
        ),
        "ACTIVE_BOOKING_NOT_FOUND": (
            "Nomor ini tidak punya booking aktif. Untuk memesan, kirim "
            "#NAMA#TGLLAHIR#TGLLAYANAN."
        ),
        "that_date": "tanggal itu",
    },
    "en": {
        "help": (
            "To book a queue place, send:\n#NAME#BIRTHDATE#SERVICEDATE\n"
            "with dates as DDMMYYYY, for example:\n{example}\n\n"
            "Send #cek to see your booking, #batal to cancel it."
        ),
        "example": "Example:\n{example}",
        "message_too_long": (
            "The message is too long ({count} characters). Send the short format "
            "#NAME#BIRTHDATE#SERVICEDATE."
        ),
        "wrong_part_count": (
            "The message needs 3 parts: name, birth date, service date "
            "(you sent {count})."
        ),
        "name_missing": (
            "The name is missing. Write the name as on your ID card as the first part."
        ),
        "name_too_long": (
            "The name may have at most {maximum} letters; you sent {count}. Write "
            "it as on your ID card and send again."
        ),
        "name_characters": (
            "The name may not contain {text}. It may hold only letters, spaces "
            "and the marks . ' - , as on your ID card; correct it and send again."
        ),
        "name_without_letters": (
            "The name must contain letters. Write the name as on your ID card as "
            "the first part and send again."
        ),
        "birth_date_unreadable": (
            'The birth date "{text}" cannot be read. Write it as DDMMYYYY, '
            "e.g. 20111967, and send again."
        ),
        "birth_date_not_real": (
            'The birth date "{text}" does not exist. Check the day and the month '
            "and send again."
        ),
        "service_date_unreadable": (
            'The service date "{text}" cannot be read. Write it as DDMMYYYY, '
            "e.g. 18072027, and send again."
        ),
        "service_date_not_real": (
            'The service date "{text}" does not exist. Check the day and the month '
            "and send again."
        ),
        "approval_code_length": (
            "The approval code has 8 digits; you sent {count}. "
            "Copy the code from our message and send it again."
        ),
        "summary": (
            "Booking request received:\nWhatsApp number: {phone}\nName: {name}\n"
            "Birth date: {birth}\nService date: {service}\nOffice: {office}\n\n"
            "Nothing is booked yet. To confirm, send this approval code:\n{code}"
        ),
        "summary_expiry": "The code expires in {minutes} minutes.",
        "summary_fix": "If anything is wrong, send #batal, then a new request.",
        "confirmed": "Booking confirmed.",
        "your_booking": "Your booking:",
        "details": (
            "Name: {name}\nBooking code (kode booking): {code}\nOffice: {office}\n"
            "Service date: {service}"
        ),
        "hour": "Service hour: {hour}",
        "arrive": (
            "Arrive 30 minutes before, at {arrive}, with this confirmation and "
            "your ID card."
        ),
        "pending": (
            "Your booking request for {service} ({name}) awaits its approval code.\n"
            "Send the 8-digit code from our earlier message{until}; it cannot be "
            "shown again. Once it has expired, send a new request."
        ),
        "until": " before {time}",
        "other_state": "Booking {code} for {service}: {state}.",
        "cancelled_confirmed": (
            "Booking {code} for {service} is cancelled and its place released."
        ),
        "cancelled_pending": "Your booking request for {service} is cancelled.",
        "book_again": "To book again, send #NAME#BIRTHDATE#SERVICEDATE.",
        "busy": "The service is busy. Please try again in a minute.",
        "INVALID_PHONE_NUMBER": (
            "This WhatsApp number cannot be used for booking. "
            "Send from another mobile number."
        ),
        "INVALID_APPLICANT_NAME": (
            "The name cannot be accepted: write at most {maximum} letters, using "
            "only letters, spaces and the marks . ' - , exactly as on your ID card. "
            "For example:\n#Siti Aminah#20111967#18072027"
        ),
        "INVALID_BIRTH_DATE": (
            "The birth date cannot be accepted: it must lie between {oldest} and "
            "today. Write it as DDMMYYYY, e.g. 20111967, and send again."
        ),
        "INVALID_SERVICE_DATE": (
            "The service date cannot be accepted. Write it as DDMMYYYY, "
            "e.g. 18072027, and send again."
        ),
        "INVALID_APPROVAL_CODE": (
            "The approval code must be 8 digits. Copy it from our message and "
            "send it again."
        ),
        "OFFICE_NOT_FOUND": (
            "Booking for this office is not available right now. Try again later."
        ),
        "outside_window": "{service} is outside the booking window.",
        "window": "Choose a date from {first} to {last} and send again.",
        "window_unknown": "Choose a nearer date and send again.",
        "closed_weekend": "{service} is a {weekday}; the office is closed at weekends.",
        "closed_weekend_unknown": "{service} falls on a weekend; the office is closed.",
        "closed_holiday": (
            "{service} is a national holiday{name}; the office is closed."
        ),
        "closed_closure": "The office is closed on {service}.",
        "next_open": (
            "Next open dates: {dates}. Send the request again with one of them."
        ),
        "no_next_open": "Choose another working day and send the request again.",
        "full": "{service} is fully booked.",
        "next_available": (
            "Dates with places left: {dates}. Send the request again with one of them."
        ),
        "no_next_available": "No other date has places left now; try again later.",
        "exists_confirmed": (
            "This number already holds a booking at {office}: booking code {code}, "
            "{service}{hour}. One number may hold one booking. To change it, send "
            "#batal, then a new request."
        ),
        "exists_hour": " at {hour}",
        "exists_pending": (
            "This number already has a request for {service} at {office} awaiting "
            "its approval code. Send the code from our earlier message, or send "
            "#batal, then a new request."
        ),
        "PENDING_BOOKING_NOT_FOUND": (
            "No request from this number is awaiting an approval code. "
            "Send a request first."
        ),
        "BOOKING_REQUEST_EXPIRED": (
            "Your request has expired; nothing was booked. Send a new request."
        ),
        "APPROVAL_CODE_MISMATCH": (
            "Wrong approval code. Copy the 8-digit code from our earlier message."
        ),
        "attempts_left": "Tries left: {count}.",
        "mismatch_void": (
            "Wrong approval code, and this request is now void; nothing was booked. "
            "Send a new booking request."
        ),
        "TOO_MANY_APPROVAL_ATTEMPTS": (
            "The approval code was wrong {count} times, so this request is void. "
            "Send a new request."
        ),
        "too_many_unknown": (
            "The approval code was wrong too often, so this request is void. "
            "Send a new request."
        ),
        "ACTIVE_BOOKING_NOT_FOUND": (
            "This number holds no active booking. To book, send "
            "#NAME#BIRTHDATE#SERVICEDATE."
        ),
        "that_date": "that date",
    },
}

# Refusals whose reply is one fixed text; some add the example request.
_FIXED_REFUSALS = frozenset(
    {
        "INVALID_PHONE_NUMBER",
        "INVALID_APPLICANT_NAME",
        "INVALID_BIRTH_DATE",
        "INVALID_SERVICE_DATE",
        "INVALID_APPROVAL_CODE",
        "OFFICE_NOT_FOUND",
        "PENDING_BOOKING_NOT_FOUND",
        "BOOKING_REQUEST_EXPIRED",
        "ACTIVE_BOOKING_NOT_FOUND",
    }
)
_WITH_EXAMPLE = frozenset(
    {"PENDING_BOOKING_NOT_FOUND", "BOOKING_REQUEST_EXPIRED", "ACTIVE_BOOKING_NOT_FOUND"}
)
_PROBLEMS_WITH_EXAMPLE = frozenset(
    {Problem.MESSAGE_TOO_LONG, Problem.WRONG_PART_COUNT, Problem.NAME_MISSING}
)


def check_language(language: str) -> str:
    """Returns ``language`` if replies exist in it; raises ValueError otherwise."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    return language


def format_date(day: date) -> str:
    """Writes a date as the office does: ``DD-MM-YYYY``."""
    return day.strftime("%d-%m-%Y")


def help_text(language: str) -> str:
    """The format of a request with an example, plus `#batal` and `#cek`."""
    return _say(language, "help", example=EXAMPLE)


def parse_problem(error: ParseError, language: str) -> str:
    """Says which part of a request or code is wrong and how to write it."""
    key = error.problem.value
    text = error.text[:_ECHO_LIMIT]
    if error.problem is Problem.NAME_CHARACTERS:
        # Each refused character quoted alone: "2", "@" reads better than "2@".
        text = ", ".join(f'"{char}"' for char in text)
        key = key if text else "name_without_letters"
    reply = _say(language, key, text=text, count=error.count, maximum=NAME_MAX_LENGTH)
    if error.problem in _PROBLEMS_WITH_EXAMPLE:
        return _lines(reply, _say(language, "example", example=EXAMPLE))
    return reply


def request_summary(
    response: booking_service_pb2.RequestBookingResponse, language: str
) -> str:
    """R2: what was understood, the approval code and when it expires."""
    booking = response.booking
    reply = _say(
        language,
        "summary",
        phone=booking.phone_number,
        name=booking.applicant_name.upper(),
        birth=format_date(date_from_proto(booking.birth_date)),
        service=format_date(date_from_proto(booking.service_date)),
        office=_office_name(booking),
        code=response.approval_code,
    )
    minutes = _expiry_minutes(booking)
    expiry = _say(language, "summary_expiry", minutes=minutes) if minutes else None
    return _lines(reply, expiry, "", _say(language, "summary_fix"))


def confirmation(booking: booking_pb2.Booking, language: str) -> str:
    """R3: name, booking code, service date and hour, and when to arrive."""
    return _lines(_say(language, "confirmed"), _booking_card(booking, language))


def cancelled(booking: booking_pb2.Booking, language: str) -> str:
    """R4: what was cancelled and how to book again."""
    service = format_date(date_from_proto(booking.service_date))
    if booking.booking_code:
        reply = _say(
            language, "cancelled_confirmed", code=booking.booking_code, service=service
        )
    else:
        reply = _say(language, "cancelled_pending", service=service)
    return _lines(reply, _say(language, "book_again"))


def active_booking(booking: booking_pb2.Booking, language: str) -> str:
    """`#cek`: the number's active booking and what to do with it."""
    service = format_date(date_from_proto(booking.service_date))
    if booking.state == booking_pb2.Booking.STATE_PENDING:
        until = ""
        if booking.HasField("expire_time"):
            expiry = _local_time(booking.expire_time, _zone_of(booking))
            until = _say(language, "until", time=expiry)
        name = booking.applicant_name.upper()
        return _say(language, "pending", service=service, name=name, until=until)
    if booking.state == booking_pb2.Booking.STATE_CONFIRMED:
        return _lines(_say(language, "your_booking"), _booking_card(booking, language))
    state = _STATES[language].get(booking.state)
    state = state or state_name(booking.state).replace("_", " ")
    return _say(
        language, "other_state", code=booking.booking_code, service=service, state=state
    )


def service_busy(language: str) -> str:
    """The reply when the server cannot answer now."""
    return _say(language, "busy")


def refusal(
    reason: str,
    metadata: Mapping[str, str],
    language: str,
    *,
    service_date: date | None = None,
) -> str:
    """Words a server refusal by its ``reason``; unknown reasons get `busy`.

    ``service_date`` is the date the citizen asked for, named where the
    metadata does not carry it.
    """
    if reason in _FIXED_REFUSALS:
        example = _say(language, "example", example=EXAMPLE)
        reply = _say(
            language, reason, maximum=NAME_MAX_LENGTH, oldest=OLDEST_BIRTH_YEAR
        )
        return _lines(reply, example if reason in _WITH_EXAMPLE else None)
    wording = _REFUSALS.get(reason)
    if wording is None:
        return service_busy(language)
    return wording(metadata, language, service_date)


def _outside_window(
    metadata: Mapping[str, str], language: str, service_date: date | None
) -> str:
    first = _read_date(metadata.get("first_date", ""))
    last = _read_date(metadata.get("last_date", ""))
    refused = _say(
        language, "outside_window", service=_date_or_that(service_date, language)
    )
    if first and last:
        advice = _say(
            language, "window", first=format_date(first), last=format_date(last)
        )
    else:
        advice = _say(language, "window_unknown")
    return _lines(refused, advice)


def _closed(
    metadata: Mapping[str, str], language: str, service_date: date | None
) -> str:
    closed_date = _read_date(metadata.get("service_date", "")) or service_date
    refused = _closed_date(metadata, language, closed_date)
    dates = _date_list(metadata.get("next_open_dates", ""))
    if dates:
        return _lines(refused, _say(language, "next_open", dates=dates))
    return _lines(refused, _say(language, "no_next_open"))


def _closed_date(
    metadata: Mapping[str, str], language: str, closed_date: date | None
) -> str:
    """Why the office is closed that day, in ``language`` only.

    The server's ``closure_name`` is an English weekday for weekends and the
    operator's words for closures, so only a holiday's (Indonesian) name shows.
    """
    service = _date_or_that(closed_date, language)
    closure = metadata.get("closure", "")
    if closure == "weekend":
        if closed_date is None:
            return _say(language, "closed_weekend_unknown", service=service)
        weekday = _WEEKDAYS[language][closed_date.weekday()]
        return _say(language, "closed_weekend", service=service, weekday=weekday)
    if closure == "holiday":
        name = metadata.get("closure_name", "").strip()
        name = f" ({name})" if name else ""
        return _say(language, "closed_holiday", service=service, name=name)
    return _say(language, "closed_closure", service=service)


def _full(metadata: Mapping[str, str], language: str, service_date: date | None) -> str:
    full_date = _read_date(metadata.get("service_date", "")) or service_date
    refused = _say(language, "full", service=_date_or_that(full_date, language))
    dates = _date_list(metadata.get("next_available_dates", ""))
    if dates:
        return _lines(refused, _say(language, "next_available", dates=dates))
    return _lines(refused, _say(language, "no_next_available"))


def _exists(
    metadata: Mapping[str, str], language: str, service_date: date | None
) -> str:
    held_date = _read_date(metadata.get("service_date", ""))
    service = _date_or_that(held_date, language)
    office = metadata.get("office_id", "")
    code = metadata.get("booking_code", "")
    if metadata.get("state") != "confirmed" or not code:
        return _say(language, "exists_pending", service=service, office=office)

    hour = ""
    start = _read_instant(metadata.get("slot_start_time", ""))
    if start is not None:
        zone = _zone(metadata.get("time_zone", ""))
        hour = _say(language, "exists_hour", hour=_format_local(start, zone))
    return _say(
        language,
        "exists_confirmed",
        office=office,
        code=code,
        service=service,
        hour=hour,
    )


def _mismatch(
    metadata: Mapping[str, str], language: str, service_date: date | None
) -> str:
    left = metadata.get("attempts_left", "")
    if left.isdigit() and int(left) == 0:
        # The server voided the request with this last wrong code.
        example = _say(language, "example", example=EXAMPLE)
        return _lines(_say(language, "mismatch_void"), example)
    reply = _say(language, "APPROVAL_CODE_MISMATCH")
    if left.isdigit():
        return _lines(reply, _say(language, "attempts_left", count=int(left)))
    return reply


def _too_many(
    metadata: Mapping[str, str], language: str, service_date: date | None
) -> str:
    attempts = metadata.get("max_attempts", "")
    if attempts.isdigit():
        return _say(language, "TOO_MANY_APPROVAL_ATTEMPTS", count=int(attempts))
    return _say(language, "too_many_unknown")


# Words one refusal from its metadata, the language and the requested date.
_Wording = Callable[[Mapping[str, str], str, date | None], str]

_REFUSALS: Mapping[str, _Wording] = {
    "SERVICE_DATE_OUTSIDE_WINDOW": _outside_window,
    "SERVICE_DATE_CLOSED": _closed,
    "SERVICE_DATE_FULL": _full,
    "ACTIVE_BOOKING_EXISTS": _exists,
    "APPROVAL_CODE_MISMATCH": _mismatch,
    "TOO_MANY_APPROVAL_ATTEMPTS": _too_many,
}


def _booking_card(booking: booking_pb2.Booking, language: str) -> str:
    """The lines of a confirmed booking shown by R3 and by `#cek`."""
    details = _say(
        language,
        "details",
        name=booking.applicant_name.upper(),
        code=booking.booking_code,
        office=_office_name(booking),
        service=format_date(date_from_proto(booking.service_date)),
    )
    if not booking.HasField("slot_start_time"):
        return details

    zone = _zone_of(booking)
    start = booking.slot_start_time.ToDatetime(tzinfo=UTC)
    abbreviation = booking.time_zone_abbreviation or None
    hour = _format_local(start, zone, abbreviation)
    arrive = _format_local(start - ARRIVE_EARLY, zone, abbreviation)
    return _lines(
        details,
        _say(language, "hour", hour=hour),
        "",
        _say(language, "arrive", arrive=arrive),
    )


def _office_name(booking: booking_pb2.Booking) -> str:
    """The office as citizens know it; its id when the server sends no name."""
    return booking.office_name or booking.office_id


def _expiry_minutes(booking: booking_pb2.Booking) -> int:
    if not (booking.HasField("create_time") and booking.HasField("expire_time")):
        return 0
    lifetime = booking.expire_time.ToDatetime() - booking.create_time.ToDatetime()
    return max(round(lifetime.total_seconds() / 60), 0)


def _local_time(instant: timestamp_pb2.Timestamp, zone: ZoneInfo) -> str:
    return _format_local(instant.ToDatetime(tzinfo=UTC), zone)


def _format_local(
    instant: datetime, zone: ZoneInfo, abbreviation: str | None = None
) -> str:
    """``HH:MM WIB``: the office's local time with its zone abbreviation."""
    local = instant.astimezone(zone)
    # tzdata names the Indonesian zones WIB, WITA and WIT, as people write them.
    return f"{local:%H:%M} {abbreviation or local.tzname()}"


def _zone_of(booking: booking_pb2.Booking) -> ZoneInfo:
    return _zone(booking.time_zone)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or _DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(_DEFAULT_TIME_ZONE)


def _read_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _read_instant(text: str) -> datetime | None:
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    # RFC 3339 always carries an offset; a bare time would be ambiguous.
    return instant if instant.tzinfo is not None else None


def _date_list(text: str) -> str:
    """``2027-07-19,2027-07-20`` as ``19-07-2027, 20-07-2027``."""
    days = (_read_date(part) for part in text.split(","))
    return ", ".join(format_date(day) for day in days if day is not None)


def _date_or_that(day: date | None, language: str) -> str:
    return format_date(day) if day else _say(language, "that_date")


def _lines(*parts: str | None) -> str:
    """Joins the parts line by line, skipping None; "" makes a blank line."""
    return "\n".join(part for part in parts if part is not None)


def _say(language: str, key: str, **values: object) -> str:
    text = _TEXTS[check_language(language)][key].format(**values)
    # Some templates open with a value such as "that date"; a sentence may not.
    return text[:1].upper() + text[1:]
