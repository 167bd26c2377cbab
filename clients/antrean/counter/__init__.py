"""The counter-desk CLI, ``antrean-counter``: check applicants in at the counter,
list the day's bookings and show one booking.

    cli        the click commands; the only module that prints or exits
    render     bookings as text and rich tables (pure functions)
    refusals   the server's refusals as plain-English sentences, keyed by reason
"""
