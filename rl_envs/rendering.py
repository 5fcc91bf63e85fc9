"""The small pygame pieces every environment's rendering shares.

pygame is imported lazily (inside :func:`import_pygame`) so that environments without a
render mode never load it, and only the display module is initialised: ``pygame.init()``
would also start the audio mixer, which is slow and fails on headless CI.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
from gymnasium.error import DependencyNotInstalled

INSTALL_HINT = 'pygame is not installed; run `pip install "pygame-ce>=2.1.3"` (or `pip install rl_envs`)'


def import_pygame() -> ModuleType:
    try:
        import pygame
    except ImportError as e:
        raise DependencyNotInstalled(INSTALL_HINT) from e
    return pygame


def check_render_mode(render_mode: str | None, metadata: dict[str, Any]) -> str | None:
    """``render_mode`` if it is None or one of ``metadata["render_modes"]``."""
    if render_mode is not None and render_mode not in metadata["render_modes"]:
        raise ValueError(f"render_mode must be one of {metadata['render_modes']} or None, got {render_mode!r}")
    return render_mode


class Viewer:
    """An off-screen surface (``rgb_array``) or a window (``human``) of a fixed size.

    ``draw(fn)`` clears the canvas, lets ``fn(pygame, surface)`` paint it, then either
    returns the frame as an H x W x 3 uint8 array or shows it at ``fps``.  The viewer holds
    pygame objects, which cannot be pickled: environments drop it in ``__getstate__``.
    """

    def __init__(self, render_mode: str, size: tuple[int, int], fps: int, caption: str = "rl_envs"):
        self.pygame = import_pygame()
        self.render_mode = render_mode
        self.size = (int(size[0]), int(size[1]))
        self.fps = fps
        pg = self.pygame
        if render_mode == "human":
            pg.display.init()
            pg.display.set_caption(caption)
            self.surface = pg.display.set_mode(self.size)
            self.clock = pg.time.Clock()
        else:
            self.surface = pg.Surface(self.size)
            self.clock = None

    def draw(
        self, paint: Callable[[Any, Any], None], background: tuple[int, int, int] = (255, 255, 255)
    ) -> np.ndarray | None:
        self.surface.fill(background)
        paint(self.pygame, self.surface)
        if self.clock is not None:  # human mode
            self.pygame.event.pump()
            self.clock.tick(self.fps)
            self.pygame.display.flip()
            return None
        return np.array(self.pygame.surfarray.pixels3d(self.surface), dtype=np.uint8).transpose(1, 0, 2)

    def close(self) -> None:
        if self.render_mode == "human":
            self.pygame.display.quit()
        del self.surface
