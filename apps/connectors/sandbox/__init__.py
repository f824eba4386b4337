from apps.connectors.sandbox.adapter import SandboxAdapter
from apps.connectors.sandbox.cards import TEST_CARDS, TestCard, card_for_number

__all__ = ["TEST_CARDS", "SandboxAdapter", "TestCard", "card_for_number"]
