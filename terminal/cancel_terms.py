"""What cancelling an appointment costs now, and until when, or why it can no longer be
cancelled, in the merchant's words: the screens and `pos-terminal list` both judge it here."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from protocol import Appointment
from protocol.enums import Status
from terminal.catalogue import N_, day_time, format_money, t


class Terms(enum.Enum):
    FREE = "free"  # cancelling now costs nothing
    FEE = "fee"  # cancelling now costs the appointment's fee
    TOO_LATE = "too_late"  # past cancel_until
    IN_PROGRESS = "in_progress"  # the visit has started
    COMPLETED = "completed"  # the visit is over
    CANCELLED = "cancelled"  # cancelled already

    @property
    def cancellable(self) -> bool:
        return self in (Terms.FREE, Terms.FEE)


# An appointment no longer booked; a status this terminal does not know is taken as started.
_TERMS_OF_STATUS = {Status.COMPLETED: Terms.COMPLETED, Status.CANCELLED: Terms.CANCELLED}
# Why it cannot be cancelled: a word or two for a list line, and the sentence (which may name
# the deadline, {when}).
_CANNOT = {
    Terms.TOO_LATE: (N_("terms.short.too_late"), N_("terms.too_late")),
    Terms.IN_PROGRESS: (N_("terms.short.in_progress"), N_("terms.in_progress")),
    Terms.COMPLETED: (N_("terms.short.completed"), N_("terms.completed")),
    Terms.CANCELLED: (N_("terms.short.cancelled"), N_("terms.cancelled")),
}


@dataclass(frozen=True)
class CancelTerms:
    appointment: Appointment
    terms: Terms

    @classmethod
    def now(cls, appointment: Appointment, now: datetime) -> CancelTerms:
        if appointment.status is not Status.BOOKED:
            return cls(appointment, _TERMS_OF_STATUS.get(appointment.status, Terms.IN_PROGRESS))
        if now > appointment.cancel_until:
            return cls(appointment, Terms.TOO_LATE)
        # The host's FEE is the fee that applies now; it is what the merchant agrees to.
        return cls(appointment, Terms.FEE if appointment.fee else Terms.FREE)

    @property
    def cancellable(self) -> bool:
        return self.terms.cancellable

    def short(self, locale: str) -> str:
        """A word or two for the list line."""
        if self.terms is Terms.FREE:
            return t("terms.short.free", locale)
        if self.terms is Terms.FEE:
            return format_money(self.appointment.fee, self.appointment.currency)
        return t(_CANNOT[self.terms][0], locale)

    def sentences(self, locale: str) -> list[str]:
        """Plain words: what it costs now, until when, and when it stops being possible."""
        appointment = self.appointment
        free_until = day_time(appointment.free_until, locale)
        cancel_until = day_time(appointment.cancel_until, locale)
        if self.terms is Terms.FREE:
            return [
                t("terms.free_until", locale, when=free_until),
                t("terms.fee_after", locale, when=free_until),
                t("terms.not_after", locale, when=cancel_until),
            ]
        if self.terms is Terms.FEE:
            return [
                t("terms.fee_now", locale, fee=format_money(appointment.fee, appointment.currency)),
                t("terms.not_after", locale, when=cancel_until),
            ]
        return [t(_CANNOT[self.terms][1], locale, when=cancel_until)]
