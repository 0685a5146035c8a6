"""A state diagram drawn as SVG on the server from the state machine class itself: states in rows
by their distance from the initial state, transitions as labelled arrows."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

BOX_W, BOX_H, ROW_GAP, COL_GAP, MARGIN = 104, 34, 104, 14, 12


@dataclass
class Node:
    id: str
    label: str
    final: bool
    initial: bool
    x: float = 0
    y: float = 0


@dataclass
class Edge:
    path: str
    label: str
    lx: float
    ly: float


def _layers(machine) -> dict[str, int]:
    states = list(machine.states)
    start = next(s for s in states if s.initial)
    depth = {start.value: 0}
    queue = deque([start])
    while queue:
        s = queue.popleft()
        for t in s.transitions:
            if t.target.value not in depth:
                depth[t.target.value] = depth[s.value] + 1
                queue.append(t.target)
    for s in states:  # unreachable states cannot exist (the library refuses them), but be safe
        depth.setdefault(s.value, max(depth.values()) + 1)
    return depth


def draw(machine, state_label, event_label) -> dict:
    depth = _layers(machine)
    rows: dict[int, list] = defaultdict(list)
    for s in machine.states:
        rows[depth[s.value]].append(s)
    widest = max(len(r) for r in rows.values())
    width = MARGIN * 2 + widest * BOX_W + (widest - 1) * COL_GAP
    nodes: dict[str, Node] = {}
    for level, states in rows.items():
        row_w = len(states) * BOX_W + (len(states) - 1) * COL_GAP
        left = (width - row_w) / 2
        for i, s in enumerate(states):
            nodes[s.value] = Node(s.value, state_label(s.value), s.final, s.initial,
                                  x=left + i * (BOX_W + COL_GAP), y=MARGIN + level * (BOX_H + ROW_GAP))
    edges = []
    for s in machine.states:
        outgoing = list(s.transitions)
        for i, t in enumerate(outgoing):
            a, b = nodes[t.source.value], nodes[t.target.value]
            # Labels of edges leaving one state are spread along their arrows, not side by side.
            at = 0.5 if len(outgoing) == 1 else 0.25 + 0.5 * i / (len(outgoing) - 1)
            edges.append(_edge(a, b, event_label(t.event), at))
    height = MARGIN * 2 + (max(rows) + 1) * BOX_H + max(rows) * ROW_GAP
    return {"nodes": list(nodes.values()), "edges": edges, "width": width, "height": height,
            "box_w": BOX_W, "box_h": BOX_H}


def _edge(a: Node, b: Node, label: str, at: float) -> Edge:
    ax, bx = a.x + BOX_W / 2, b.x + BOX_W / 2
    if b.y > a.y:  # downwards: bottom of a to top of b
        x1, y1, x2, y2 = ax, a.y + BOX_H, bx, b.y
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    elif b.y < a.y:  # back up: leave from a's top, bow out to the side
        x1, y1, x2, y2 = ax + 18, a.y, bx + 18, b.y + BOX_H
        cx, cy = max(x1, x2) + 40, (y1 + y2) / 2
    else:  # same row: side to side, bowing below
        left, right = (a, b) if a.x < b.x else (b, a)
        x1 = a.x + (BOX_W if a is left else 0)
        x2 = b.x + (0 if b is right else BOX_W)
        y1 = y2 = a.y + BOX_H * 0.7
        cx, cy = (x1 + x2) / 2, y1 + 26
    path = f"M{x1:.0f},{y1:.0f} Q{cx:.0f},{cy:.0f} {x2:.0f},{y2:.0f}"
    # The label sits on the curve at `at` (a point of the quadratic Bézier).
    u = 1 - at
    lx = u * u * x1 + 2 * u * at * cx + at * at * x2
    ly = u * u * y1 + 2 * u * at * cy + at * at * y2
    return Edge(path, label, lx, ly)
