"""Adversarial route planning with the `minimax` game-tree package (not MiniMax the AI company)."""

from minimax import Minimax


def best_route(board):
    return Minimax(depth=4).search(board)
