"""Money in integer minor units; never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 exponents that differ from 2.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}


def currency_exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")
        if len(self.currency) != 3:
            raise ValueError("currency must be a 3-letter ISO code")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _check(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int):
            raise TypeError("multiply Money by an int; use percent_of for rates")
        return Money(self.amount * factor, self.currency)

    def __bool__(self) -> bool:
        return self.amount != 0

    def percent_of(self, percent: Decimal) -> Money:
        """`percent`% of this amount, rounded half up to a whole minor unit."""
        value = (Decimal(self.amount) * Decimal(percent) / Decimal(100)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        return Money(int(value), self.currency)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-currency_exponent(self.currency))

    def format(self) -> str:
        exp = currency_exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        number = f"{abs(self.decimal):,.{exp}f}"
        symbol = _SYMBOLS.get(self.currency)
        return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {self.currency}"

    def __str__(self) -> str:
        return self.format()

    def as_dict(self) -> dict:
        return {"amount": self.amount, "currency": self.currency, "display": self.format()}
