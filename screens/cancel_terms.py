"""What cancelling an appointment costs now, and until when, in the merchant's words."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from protocol import Appointment
from protocol.enums import Status
from terminal.catalogue import day_time, format_money, t


class Terms(enum.Enum):
    FREE = "free"  # cancelling now costs nothing
    FEE = "fee"  # cancelling now costs the appointment's fee
    TOO_LATE = "too_late"  # past cancel_until
    IN_PROGRESS = "in_progress"  # the visit has started (or is over)

    @property
    def cancellable(self) -> bool:
        return self in (Terms.FREE, Terms.FEE)


@dataclass(frozen=True)
class CancelTerms:
    appointment: Appointment
    terms: Terms

    @classmethod
    def now(cls, appointment: Appointment, now: datetime) -> CancelTerms:
        if appointment.status is not Status.BOOKED:
            return cls(appointment, Terms.IN_PROGRESS)
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
        if self.terms is Terms.TOO_LATE:
            return t("terms.short.too_late", locale)
        return t("terms.short.in_progress", locale)

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
        if self.terms is Terms.TOO_LATE:
            return [t("terms.too_late", locale, when=cancel_until)]
        return [t("terms.in_progress", locale)]
