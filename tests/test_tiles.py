"""The hashed tile coder of baselines.tiles: one tile per tiling, generalisation in proportion
to distance, few hash collisions, and the batch equal to tiles3's plain loop."""

from itertools import pairwise

import numpy as np
import pytest

from baselines.tiles import TileCoder, tiles_loop

RNG = np.random.default_rng(0)


def test_one_active_tile_per_tiling():
    coder = TileCoder([-1.2, -0.07], [0.6, 0.07], n_tilings=10, tiles_per_dim=10, size=1 << 30)
    states = RNG.uniform([-1.2, -0.07], [0.6, 0.07], size=(2000, 2))
    index = coder.tiles(states)
    assert index.shape == (2000, 10) and index.dtype == np.int64
    assert all(len(set(row)) == 10 for row in index.tolist())  # one tile in each tiling, no two alike
    assert index.min() >= 0 and index.max() < coder.size
    small = TileCoder([0, 0], [1, 1], n_tilings=4, tiles_per_dim=3, size=1 << 12)
    phi = small.features(RNG.uniform(size=(50, 2)))
    assert phi.shape == (50, 1 << 12) and np.all(phi.sum(axis=1) == 4) and set(np.unique(phi)) == {0.0, 1.0}


def test_batch_equals_the_plain_python_loop():
    coder = TileCoder([0.0, -np.pi, -5.0], [1.0, np.pi, 5.0], n_tilings=8, tiles_per_dim=6, size=4099)
    states = RNG.uniform([-0.5, -4, -7], [1.5, 4, 7], size=(300, 3))  # out of bounds too
    assert coder.tiles(states).tolist() == [tiles_loop(coder, s) for s in states]
    assert coder.tiles(states[7]).tolist() == tiles_loop(coder, states[7])


def shared_fraction(coder, states, shift):
    a, b = coder.tiles(states), coder.tiles(states + shift)
    return np.mean([len(set(x) & set(y)) / coder.n_tilings for x, y in zip(a.tolist(), b.tolist())])


@pytest.mark.parametrize("dim, axis", [(1, 0), (2, 0), (2, 1)])
def test_nearby_states_share_tiles_in_proportion_to_their_distance(dim, axis):
    # tiles 0.1 wide; the tilings' edges are 0.1 / 8 apart along each axis, so a shift by d
    # crosses 8 d / 0.1 of them on average: the states share 1 - d / 0.1 of their tiles
    coder = TileCoder(np.zeros(dim), np.ones(dim), n_tilings=8, tiles_per_dim=10, size=1 << 30)
    states = RNG.uniform(0.1, 0.8, size=(3000, dim))
    for d in (0.0, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2):
        shift = np.zeros(dim)
        shift[axis] = d
        assert shared_fraction(coder, states, shift) == pytest.approx(max(0.0, 1 - d / 0.1), abs=0.02)


def test_diagonal_neighbours_share_fewer_tiles_the_farther_they_are():
    coder = TileCoder([0, 0], [1, 1], n_tilings=8, tiles_per_dim=10, size=1 << 30)
    states = RNG.uniform(0.1, 0.8, size=(2000, 2))
    shared = [shared_fraction(coder, states, np.array([d, d])) for d in (0.0, 0.02, 0.04, 0.06, 0.08, 0.1)]
    assert shared[0] == 1.0 and shared[-1] == 0.0
    assert all(x > y for x, y in pairwise(shared[:-1]))


def test_hash_collides_about_as_rarely_as_a_random_map():
    """Every tile of a fine grid of states, hashed into ``size`` slots: the tiles lost to
    collisions are within twice the birthday count n^2 / (2 size) of a random map."""
    states = np.stack(np.meshgrid(np.linspace(0, 1, 300), np.linspace(0, 1, 300)), axis=-1).reshape(-1, 2)
    n = len(np.unique(TileCoder([0, 0], [1, 1], 10, 10, size=1 << 40).tiles(states)))
    assert 10 * 10 * 10 < n <= 10 * 11 * 11  # a tiling has 10 or 11 tiles across the square
    for size in (1 << 12, 1 << 14, 1 << 16):
        lost = n - len(np.unique(TileCoder([0, 0], [1, 1], 10, 10, size=size).tiles(states)))
        assert lost <= 2 * n * n / (2 * size) + 3
    assert lost / n < 0.01  # the default table (2^16) for 10 tilings of 10 x 10


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"low": [0, 1], "high": [1, 1]}, "high > low"),
        ({"low": [0], "high": [1, 1]}, "same length"),
        ({"low": [[0]], "high": [[1]]}, "low must be a 1-D array"),
        ({"low": [0], "high": [np.inf]}, "high must be finite"),
        ({"low": [0], "high": [1], "n_tilings": 0}, "n_tilings must be a positive int"),
        ({"low": [0], "high": [1], "tiles_per_dim": 2.0}, "tiles_per_dim must be a positive int"),
        ({"low": [0], "high": [1], "n_tilings": 8, "size": 4}, "size must be an int in"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TileCoder(**kwargs)


def test_states_of_the_wrong_shape_are_refused():
    coder = TileCoder([0, 0], [1, 1])
    for bad, message in [
        (np.zeros(3), "states must have shape"),
        (np.zeros((4, 1)), "states must have shape"),
        ([[0.1, np.nan]], "states must be finite"),
        ("0.5", "states must be an array"),
    ]:
        with pytest.raises(ValueError, match=message):
            coder.tiles(bad)
