"""Derivation -> plan: which element-wise kernels and which GEMMs run, on which buffers.

The shape of the plan is the one that trains fast on a CPU:
- forward: one GEMM for the input products of all steps; per step, one stacked GEMM
  per group of recurrent products and one fused element-wise kernel per level;
- backward: per step, fused kernels that recompute what they need from the tape
  (states and products) and the stacked GEMMs `dM @ P` for the operands; after the
  loop, every weight gradient as one GEMM over all steps.
Every element-wise kernel is a list of SymPy assignments after common-subexpression
elimination; the backend prints them.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import sympy as sp

from . import names
from ..frontend.checker import HIDDEN, INPUT
from .derive import Derivation, Group


@dataclass(frozen=True)
class Slot:
    """Where one element of a value lives: `array[index]` inside a kernel's (row, column) loop."""
    array: str
    # "t", "t+1", "td" (row of dys), "row" (no time axis), "col" (a vector), "flat" (input
    # space), "scalar" (one value per batch row at step t, [T, B]: a mean)
    index: str
    offset: int = 0  # in multiples of the column count


@dataclass(frozen=True)
class Kernel:
    name: str
    purpose: str
    space: str  # "input": loops over (steps*batch) x input; else over batch x the units of this size
    reads: tuple[tuple[sp.Symbol, Slot], ...]
    body: tuple[tuple[sp.Symbol, sp.Expr], ...]
    writes: tuple[tuple[Slot, sp.Expr], ...]
    accumulates: tuple[tuple[Slot, sp.Expr], ...] = ()
    arrays: tuple[str, ...] = field(default=())
    # What a batch row past its sequence's end writes to each slot instead: a copy of the
    # slot given (a new state keeps the old one, a carry passes on), or zero when None.
    frozen: tuple[tuple[Slot, Slot | None], ...] = ()
    # computes a stage of units into rows on the stack, then copies them out (runtime.rows.staging_row)
    staged: bool = False


@dataclass(frozen=True)
class Gemm:
    """A step's product out = a @ b over the batch rows; b is a weights array packed in panels.
    A mean (b = ""): every unit of out's row is the mean of a's row (a @ J / H, J all ones)."""
    a: str
    a_per_step: bool  # a has a time axis: the product reads a[t]
    b: str
    out: str
    out_per_step: bool
    comment: str
    columns: tuple[int, int] | None = None  # a's column blocks (in hidden sizes), when not all

    @property
    def is_mean(self) -> bool:
        return not self.b


# The planner's optimisations, each one a named pass that can be switched off (the plan is
# then slower, never wrong: tests/test_plan.py checks gradients with each one off).
PASSES = {
    "hoist_input_norms": "an input-only term that holds a mean (a layer norm of U @ x) is computed for all steps "
                         "before the loop, and its gradient after BPTT, instead of inside every step",
    "fuse_sums": "a recurrent product that meets an input product only in a sum (W @ h + U @ x) "
                 "adds into the input product's buffer: the tape keeps the sum, the step's products are scratch",
    "store_gates": "a kept sum used only through one activation keeps the activation (the gate): "
                   "BPTT reads i instead of recomputing sigmoid(sum + b_i)",
    "share_adjoint_stream": "an input group whose gradients equal a recurrent group's reads that group's dM",
    "adjoints_from_input_stream": "a recurrent group whose gradients are a run of an input group's reads "
                                  "them from that group's dX",
    "carry_from_product": "a state gradient that is exactly one operand gradient is written by its product, "
                          "with no kernel",
    "bias_from_stream": "a vector parameter's gradient that equals a product's gradient sums that stream",
    "keep_normalized": "an intermediate made of a product and a mean (a layer-normalized gate) is kept "
                       "on the tape: BPTT reads it instead of normalizing again in each of its kernels",
    "mean_in_place": "a mean of a product reads the product's columns where its GEMM wrote them, "
                     "instead of a copy a kernel makes",
    "stage_wide_kernels": "a kernel that writes many rows and reads many more computes a stage of units "
                          "into rows on the stack and copies them out: written directly, it stays scalar",
    "share_mean_adjoints": "means of one level whose adjoints are equal (a layer norm written as per-gate means) "
                           "share one adjoint stream and one backward mean",
    "accumulate_vector_grads": "a vector parameter's gradient that no stream holds and a staged kernel computes "
                               "is added up over the steps, one row per batch row, instead of a [T, B, H] stream",
}


@dataclass(frozen=True)
class PassResult:
    name: str
    enabled: bool
    changes: tuple[str, ...]  # what the pass did to this cell, one line each; () when nothing

    @property
    def applied(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class Plan:
    derivation: Derivation
    groups: tuple[Group, ...]
    hoisted_kernels: tuple[Kernel, ...]  # input-space operands, before the loop
    forward_step: tuple  # Kernel | Gemm, per step
    backward_step: tuple
    dx_kernel: Kernel | None
    dx_from_gemm: int | None  # the group whose operand is x itself: its GEMM writes dxs
    dm_alias: dict[int, int]  # hoisted group -> recurrent group whose dM it shares
    dm_within: dict[int, tuple[int, int]]  # recurrent group -> (hoisted group, first column block) whose dX holds its dM
    carry_from_gemm: dict[str, int]  # state -> group whose operand gradient is the carry itself
    vector_sums: dict[str, tuple[str, int]]  # vector parameter -> (stream, block) its gradient sums
    operand_buffers: tuple[int, ...]  # groups whose operand is computed into A_g
    summed: dict[int, int]  # recurrent group -> input group whose buffer keeps their sum for BPTT
    mean_alias: dict[int, int] = field(default_factory=dict)  # mean group -> mean group whose adjoints it reads
    vector_rows: dict[str, str] = field(default_factory=dict)  # vector parameter -> its [B, H] accumulator
    passes: tuple[PassResult, ...] = ()
    kept: tuple[sp.Symbol, ...] = ()  # intermediates the forward writes to the tape for BPTT
    # hoist_input_norms: the input stage's means, the nodes the step reads from it, and the
    # stage's programs over all [T * B] rows (run as one step of T * B rows), before the
    # loop and after BPTT
    stage_groups: frozenset[int] = frozenset()
    boundary: tuple[sp.Symbol, ...] = ()
    forward_stage: tuple = ()
    backward_stage: tuple = ()

    def applied(self, name: str) -> tuple[str, ...]:
        """What the pass `name` changed in this plan."""
        return next(p.changes for p in self.passes if p.name == name)


def plan(d: Derivation, disable: frozenset[str] = frozenset()) -> Plan:
    """The plan of a derivation; `disable` names passes (PASSES) to leave out."""
    unknown = set(disable) - set(PASSES)
    if unknown:
        raise ValueError(f"unknown passes {sorted(unknown)}; the passes are {list(PASSES)}")
    planner = _Planner(d, frozenset(disable))
    hoisted, forward_step = planner.forward()
    backward_step, dm_alias, dm_within, carry_from_gemm, vector_sums, backward_stage = planner.backward()
    dx_kernel, dx_from_gemm = planner.input_gradient()
    forward_stage = planner.forward_stage()
    planner.changes["stage_wide_kernels"] += [f"{k.name} is staged" for k in forward_step + backward_step
                                              + forward_stage + backward_stage if isinstance(k, Kernel) and k.staged]
    return Plan(d, d.groups, hoisted, forward_step, backward_step, dx_kernel, dx_from_gemm, dm_alias, dm_within,
                carry_from_gemm, vector_sums, planner.operand_buffers, planner.summed, planner.mean_alias,
                planner.vector_rows,
                tuple(PassResult(name, name not in disable, tuple(planner.changes[name])) for name in PASSES),
                planner.kept, planner.stage_groups, planner.boundary, forward_stage, backward_stage)


class _Planner:
    """What the planning steps of one derivation share: where every value lives."""

    def __init__(self, d: Derivation, disable: frozenset[str]):
        self.d = d
        self.enabled = {name: name not in disable for name in PASSES}
        self.changes: dict[str, list[str]] = {name: [] for name in PASSES}
        self.g = g = d.graph
        self.L = g.levels
        self.groups = d.groups
        self.prev_of = {sym: name for name, sym in g.prev.items()}
        self.new_of = {sym: name for name, sym in g.new.items()}
        self.state_code = {name: sym.name for name, sym in g.prev.items()}
        self.carry_of = {names.carry_next(c): names.carry(c) for c in self.state_code.values()}
        self.member_slot = {p.symbol: (grp.index, k) for grp in self.groups for k, p in enumerate(grp.members)}
        self.node_def = {n.symbol: n.expr for n in g.nodes}
        self.node_rank = {s: i for i, s in enumerate(g.order)}
        self.adj_rank = {s: i for i, s in enumerate(d.definitions)}
        self.vector_slot = {sym: Slot(names.vector(sym.name), "col") for name, sym in g.vectors.items()}
        per_sequence = {m.name for m in g.cell.masks if m.per_sequence}
        self.mask_slot = {sym: Slot(names.mask(sym.name), "row" if name in per_sequence else "t")
                          for name, sym in g.masks.items()}
        # hoist_input_norms rewrote the graph before derive (middle/hoist.py); here its means
        # and boundary nodes move to the stages around the loop
        self.stage, self.boundary = g.hoisting.stage, g.hoisting.boundary
        self.changes["hoist_input_norms"] += list(g.hoisting.changes)
        self.stage_groups = frozenset(grp.index for grp in self.groups
                                      if grp.is_mean and grp.members[0].symbol in self.stage)
        self.summed, self.partner, to_sum = _sum_only_pairs(d) if self.enabled["fuse_sums"] else ({}, {}, {})
        self.changes["fuse_sums"] += [f"group {w} adds into group {u}" for w, u in self.summed.items()]
        self.mean_sources = self.means_in_place() if self.enabled["mean_in_place"] else {}
        self.changes["mean_in_place"] += [f"{describe(self.groups[gi], g.display)} reads {array} block {k}"
                                          for gi, (array, k) in self.mean_sources.items()]
        self.operand_buffers = tuple(grp.index for grp in self.groups
                                     if not (grp.operand == g.x or grp.operand in self.prev_of)
                                     and grp.index not in self.mean_sources)
        # What the backward kernels compute from: with x- and h-products that only ever meet in
        # a sum, the input product's buffer holds the sum, and the recurrent one is per-step.
        self.bwd_nodes = {s: e.xreplace(to_sum) for s, e in self.node_def.items()}
        self.bwd_defs = {s: e.xreplace(to_sum) for s, e in d.definitions.items()}
        self.stored = self.stored_activations() if self.enabled["store_gates"] else {}
        self.changes["store_gates"] += [f"{g.display[u]} keeps {g.display[node]}" for u, node in self.stored.items()]
        self.kept = self.normalized_values() if self.enabled["keep_normalized"] else ()
        self.changes["keep_normalized"] += [f"the tape keeps {g.display[s]}" for s in self.kept]
        self.da_level = {grp.da: grp.level for grp in self.groups}
        self.mean_alias: dict[int, int] = {}
        self.vector_rows: dict[str, str] = {}
        self.size_of = self.value_sizes()
        self.row_size = self.row_sizes()
        self.sizes = (HIDDEN,) + g.cell.sizes
        # Which operand gradients (GEMM results) each adjoint waits for, in one pass: every
        # definition reads only adjoints defined before it.
        self.deps_of: dict[sp.Symbol, frozenset] = {}
        for adj, e in d.definitions.items():
            self.deps_of[adj] = self.da_deps(e)

    def means_in_place(self) -> dict[int, tuple[str, int]]:
        """Mean groups whose operand is one product as its GEMM wrote it, at every step:
        mean group -> (the product's array, its column block)."""
        found = {}
        for grp in self.groups:
            if not grp.is_mean or grp.operand not in self.member_slot:
                continue
            gi, k = self.member_slot[grp.operand]
            source = self.groups[gi]
            # a summed product's array holds the sum with another (or the gate) after the step
            fused = grp.operand in self.partner or grp.operand in self.partner.values()
            if source.is_mean or gi in self.summed or fused:
                continue
            found[grp.index] = (names.input_products(gi) if source.operand_size == "input" else names.products(gi), k)
        return found

    def mean_operand(self, gi: int, src: str) -> tuple[str, tuple[int, int] | None]:
        """Where group gi's product reads its operand: the column block of a product a mean
        reads in place (mean_in_place), else `src` whole."""
        if gi in self.mean_sources:
            array, k = self.mean_sources[gi]
            return array, (k, k + 1)
        return src, None

    def value_sizes(self) -> dict[sp.Symbol, str | None]:
        """The size of every value a kernel reads or writes (None: a mean, one value per row)."""
        g, cell, d = self.g, self.g.cell, self.d
        sizes: dict[sp.Symbol, str | None] = {g.x: INPUT}
        for s in cell.states:
            sizes[g.prev[s]] = sizes[g.new[s]] = sizes[d.carries[s]] = cell.state_size(s)
        params = {p.name: p.shape for p in cell.params}
        sizes.update({sym: params[name][0] for name, sym in g.vectors.items()})
        sizes.update({g.masks[m.name]: m.size for m in cell.masks})
        for grp in self.groups:
            sizes[grp.da] = grp.operand_size
            for p in grp.members:
                sizes[p.symbol] = None if grp.is_mean else p.size
        for n in g.nodes:
            sizes[n.symbol] = g.size_of(n)
        sizes[d.dy] = cell.output_size
        for value, adj in d.adjoints.items():
            sizes[adj] = sizes.get(value)
        return sizes

    def row_sizes(self) -> dict[str, str]:
        """The size of the rows of every array a step kernel writes, whatever fills them."""
        g, cell = self.g, self.g.cell
        sizes = {array(self.state_code[s]): cell.state_size(s) for s in g.prev
                 for array in (names.state, names.carry, names.carry_next)}
        for grp in self.groups:
            rows = HIDDEN if grp.is_mean else grp.size
            for array in (names.products, names.input_products, names.products_grad, names.input_products_grad):
                sizes[array(grp.index)] = rows
            sizes[names.operand(grp.index)] = grp.operand_size
        params = {p.name: p.shape for p in cell.params}
        for name, sym in g.vectors.items():
            sizes[names.vector_stream(sym.name)] = sizes[names.vector_rows(sym.name)] = params[name][0]
        for n in g.nodes:
            sizes[names.kept(n.symbol.name)] = g.size_of(n)
        sizes[names.YS] = cell.output_size
        return sizes

    def stored_activations(self) -> dict[sp.Symbol, sp.Symbol]:
        """Summed slots whose sum the backward uses only through one activation (a gate).

        Such a slot keeps the gate's value instead of its pre-activation: BPTT then reads
        `i` rather than recomputing `sigmoid(sum + b_i)`. Returns sum symbol -> node."""
        vectors = set(self.vector_slot)
        stored = {}
        for u in self.partner.values():
            users = [n for n, e in self.bwd_nodes.items() if u in e.free_symbols]
            if len(users) != 1 or any(u in e.free_symbols for e in self.bwd_defs.values()):
                continue
            if self.bwd_nodes[users[0]].free_symbols <= {u} | vectors:
                stored[u] = users[0]
        return stored

    def normalized_values(self) -> tuple[sp.Symbol, ...]:
        """Intermediates whose value reads a mean and, per unit, a product or a state: the
        backward needs them in several kernels, each one level of means apart, and would
        recompute the normalization in each. (A value of means alone is the same at every
        unit of a row: cheap to recompute, and not worth a [T, B, H] array.)"""
        means = {p.symbol for grp in self.groups if grp.is_mean for p in grp.members}
        if not means:
            return ()
        per_unit = {p.symbol for grp in self.groups if not grp.is_mean for p in grp.members} | set(self.prev_of)
        reads: dict[sp.Symbol, set] = {}
        for s in self.g.order:  # each after what it reads: a node's leaves through other nodes
            if s in self.node_def:
                found = set()
                for v in self.node_def[s].free_symbols:
                    found |= reads.get(v, {v})
                reads[s] = found
        users = set().union(*(e.free_symbols for e in self.bwd_defs.values()))
        return tuple(n.symbol for n in self.g.nodes
                     if not n.is_state and n.symbol in users and n.symbol not in self.stored.values()
                     and n.symbol not in self.stage
                     and reads[n.symbol] & means and reads[n.symbol] & per_unit)

    # ------------------------------------------------------------------ kernels
    def kernels(self, name: str, purpose: str, outputs: list, accum: list, leaf_slot, backward=False) -> list[Kernel]:
        """One kernel per size of the outputs (hidden first): a kernel loops over the units of
        one size, and values of two sizes only ever meet through a product."""
        by_size: dict[str, tuple[list, list]] = {}
        for out in outputs:
            by_size.setdefault(self.size(out[1], out[0]), ([], []))[0].append(out)
        for acc in accum:
            by_size.setdefault(self.size(acc[1], acc[0]), ([], []))[1].append(acc)
        order = sorted(by_size, key=lambda size: (size != HIDDEN, list(self.sizes).index(size)))
        return [self.kernel(name if size == HIDDEN else f"{name}_{size}", purpose, *by_size[size], leaf_slot,
                            space=size, backward=backward) for size in order]

    def size(self, e: sp.Expr, slot: Slot | None = None) -> str:
        """The size of an element-wise expression: that of any sized value it reads, else
        that of the row `slot` it goes to (a constant: the zero gradient of a state the step
        does not read, or of a product nothing uses), else hidden."""
        for s in sorted(e.free_symbols, key=lambda s: s.name):
            if self.size_of.get(s) is not None:
                return self.size_of[s]
        return self.row_size.get(slot.array, HIDDEN) if slot is not None else HIDDEN

    def kernel(self, name: str, purpose: str, outputs: list, accum: list, leaf_slot, space="hidden",
               backward=False) -> Kernel:
        """Close over the definitions the outputs need, eliminate common subexpressions."""
        definitions = self.bwd_defs if backward else self.d.definitions
        nodes = self.bwd_nodes if backward else self.node_def
        needed: dict[sp.Symbol, sp.Expr] = {}
        reads: dict[sp.Symbol, Slot] = {}
        stack = [e for _, e in outputs + accum]
        while stack:
            e = stack.pop()
            for s in e.free_symbols:
                if s in needed or s in reads:
                    continue
                slot = leaf_slot(s)
                if slot is not None:
                    reads[s] = slot
                elif s in definitions:
                    needed[s] = definitions[s]
                    stack.append(needed[s])
                elif s in nodes:
                    needed[s] = nodes[s]
                    stack.append(needed[s])
                else:
                    raise AssertionError(f"{name}: no source for {s}")
        # Forward values first (in step order), then adjoints (in derivation order).
        named = sorted(needed, key=lambda s: (0, self.node_rank[s]) if s in self.node_rank
                       else (1, self.adj_rank[s]))
        exprs = [needed[s] for s in named] + [e for _, e in outputs] + [e for _, e in accum]
        replacements, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("_x"))
        body = list(replacements) + list(zip(named, reduced[:len(named)]))
        out_exprs = reduced[len(named):]
        body = _schedule(body, out_exprs)
        writes = tuple((slot, e) for (slot, _), e in zip(outputs, out_exprs[:len(outputs)]))
        accs = tuple((slot, e) for (slot, _), e in zip(accum, out_exprs[len(outputs):]))
        used = set().union(*(e.free_symbols for _, e in body), *(e.free_symbols for e in out_exprs))
        kept_reads = tuple(sorted(((s, sl) for s, sl in reads.items() if s in used),
                                  key=lambda r: (r[1].array, r[1].offset, r[0].name)))
        frozen = tuple((slot, self.frozen_source(slot)) for slot, _ in writes) if space != "input" else ()
        arrays = sorted({sl.array for _, sl in kept_reads} | {sl.array for sl, _ in writes}
                        | {sl.array for sl, _ in accs} | {src.array for _, src in frozen if src})
        staged = self.enabled["stage_wide_kernels"] and space != "input" and _wide(kept_reads, writes + accs)
        return Kernel(name, purpose, space, kept_reads, tuple(body), writes, accs, tuple(arrays), frozen, staged)

    def frozen_source(self, slot: Slot) -> Slot | None:
        """Past a sequence's end its states stay and its carries pass through unchanged."""
        if slot.index == "t+1":
            return Slot(slot.array, "t", slot.offset)
        if slot.array in self.carry_of:
            return Slot(self.carry_of[slot.array], "row", slot.offset)
        return None

    def input_leaf(self, s: sp.Symbol) -> Slot | None:
        return Slot(names.X_ROWS, "flat") if s == self.g.x else None

    def forward_leaf(self, max_level: int):
        """Where a kernel after the level-`max_level` GEMMs reads each forward value."""
        def slot(s):
            if s in self.boundary:
                return Slot(names.kept(s.name), "t")
            if s in self.prev_of:
                return Slot(names.state(self.state_code[self.prev_of[s]]), "t")
            if s in self.vector_slot:
                return self.vector_slot[s]
            if s in self.mask_slot:
                return self.mask_slot[s]
            if s in self.member_slot:
                gi, k = self.member_slot[s]
                grp = self.groups[gi]
                if grp.level <= max_level and grp.is_mean:
                    return Slot(names.products(gi), "scalar")
                if grp.level <= max_level:
                    array = names.input_products(gi) if grp.operand_size == "input" else names.products(gi)
                    return Slot(array, "row" if gi in self.summed else "t", k)
            return None
        return slot

    # ------------------------------------------------------------------ forward
    def forward(self) -> tuple[tuple[Kernel, ...], tuple]:
        g, groups, L = self.g, self.groups, self.L
        hoisted_outs = [(Slot(names.operand(grp.index), "flat"), grp.operand) for grp in groups
                        if grp.operand_size == "input" and grp.index in self.operand_buffers]
        hoisted = (self.kernel("_input_operands", "input-sized operands of all steps", hoisted_outs, [],
                               self.input_leaf, space="input"),) if hoisted_outs else ()
        step: list = []
        for level in range(L + 1):
            for grp in groups:
                if level > 0 and grp.level == level and grp.index not in self.stage_groups:
                    src = names.state(grp.operand.name) if grp.operand in self.prev_of \
                        else names.operand(grp.index)
                    # a mean's operand is the step's only (no weight gradient reads it later)
                    per_step = not (grp.is_mean and grp.index in self.operand_buffers)
                    src, columns = self.mean_operand(grp.index, src)
                    step.append(Gemm(src, per_step, "" if grp.is_mean else names.panels(grp.index, True),
                                     names.products(grp.index), grp.index not in self.summed,
                                     describe(grp, g.display), columns))
            if level < L:
                outs = [(Slot(names.operand(grp.index), "row" if grp.is_mean else "t"), grp.operand)
                        for grp in groups if grp.level == level + 1 and grp.index in self.operand_buffers
                        and grp.index not in self.stage_groups]
                if outs:
                    step.extend(self.kernels(f"_forward_level{level}", f"operands of the level-{level + 1} products",
                                            outs, [], self.forward_leaf(level)))
                continue
            outs = [(Slot(names.state(self.state_code[s]), "t+1"), sym) for s, sym in g.new.items()]
            if not g.cell.output_is_state:
                outs.append((Slot(names.YS, "t"), g.output))
            for w, u in self.partner.items():
                ui, k = self.member_slot[u]
                outs.append((Slot(names.input_products(ui), "t", k), self.stored.get(u, u + w)))
            outs += [(Slot(names.kept(s.name), "t"), s) for s in self.kept]
            purpose = "new states" + ("" if g.cell.output_is_state else " and the output")
            step.extend(self.kernels("_forward_step", purpose, outs, [], self.forward_leaf(L)))
        return hoisted, tuple(step)

    # ------------------------------------------------------------------ backward
    def da_deps(self, e: sp.Expr) -> frozenset:
        return frozenset().union(*(self.deps_of.get(s, {s} if s in self.da_level else ())
                                   for s in e.free_symbols))

    def ready(self, e: sp.Expr) -> int:
        """The backward kernel level at which `e` can be computed: after the GEMMs it needs."""
        return min((self.da_level[s] for s in self.da_deps(e)), default=self.L + 1) - 1

    def adjoint_value(self, sym: sp.Symbol) -> sp.Expr:
        adj = self.d.adjoint(sym)
        return self.d.definitions.get(adj, adj)

    def backward(self):
        d, g, groups, L = self.d, self.g, self.groups, self.L
        quantities: list[tuple[int, Slot, sp.Expr]] = []  # (kernel level, where it goes, value)
        values = {grp.index: [self.adjoint_value(p.symbol) for p in grp.members] for grp in groups}
        inputs = [grp for grp in groups if grp.operand_size == "input"]
        recurrent = [grp for grp in groups if grp.operand_size != "input" and not grp.is_mean]
        # Input products whose gradients equal those of recurrent products (x and h meeting
        # in one sum, as in an LSTM) share their dM buffer: one stream less per step.
        dm_alias: dict[int, int] = {}
        for grp in inputs if self.enabled["share_adjoint_stream"] else ():
            for other in recurrent:
                if all(e != 0 for e in values[grp.index]) and values[other.index] == values[grp.index]:
                    dm_alias[grp.index] = other.index
                    self.changes["share_adjoint_stream"].append(f"group {grp.index} reads group {other.index}'s dM")
                    break
        # The other way round, a recurrent group whose gradients are a run of an input group's
        # (a GRU's (W_r, W_z) @ h and U_r, U_z of (U_r, U_z, U_n) @ x) reads them from that
        # group's dX: written once per step instead of twice.
        dm_within: dict[int, tuple[int, int]] = {}
        for grp in recurrent if self.enabled["adjoints_from_input_stream"] else ():
            n = len(grp.members)
            if grp.index in dm_alias.values() or any(e == 0 for e in values[grp.index]) or grp.size != HIDDEN:
                continue
            for u in inputs:
                runs = [c for c in range(len(u.members) - n + 1) if values[u.index][c:c + n] == values[grp.index]]
                if u.index not in dm_alias and runs:
                    dm_within[grp.index] = (u.index, runs[0])
                    self.changes["adjoints_from_input_stream"].append(
                        f"group {grp.index} reads blocks {runs[0]}..{runs[0] + n - 1} of group {u.index}'s dX")
                    break
        # A layer norm over several products is written with a mean of each: their adjoints
        # are one value, and one stream and one backward mean serve them all.
        first_mean: dict[tuple, int] = {}
        for grp in groups if self.enabled["share_mean_adjoints"] else ():
            key = (grp.level, grp.operand_size, tuple(values[grp.index]))
            if not grp.is_mean or any(e == 0 for e in values[grp.index]):
                continue
            if key in first_mean:
                self.mean_alias[grp.index] = first_mean[key]
                self.changes["share_mean_adjoints"].append(
                    f"{describe(grp, g.display)} reads the adjoint of group {first_mean[key]}'s mean")
            else:
                first_mean[key] = grp.index
        for grp in groups:
            exprs = [d.adjoint(p.symbol) for p in grp.members]
            if grp.index in self.mean_alias or grp.index in self.stage_groups:
                continue
            if grp.operand_size == "input":
                if grp.index in dm_alias:
                    continue
                for k, e in enumerate(exprs):
                    if grp.members[k].symbol in self.stage:  # the stage after BPTT writes it
                        continue
                    quantities.append((self.ready(e), Slot(names.input_products_grad(grp.index), "t", k), e))
            elif grp.index not in dm_within:  # a mean's is the step's only: no weight gradient reads it
                for k, e in enumerate(exprs):
                    quantities.append((min(self.ready(e), grp.level),
                                       Slot(names.products_grad(grp.index), "row" if grp.is_mean else "t", k), e))
        carry_from_gemm: dict[str, int] = {}
        for s, sym in g.prev.items():
            e = d.adjoint(sym)
            # A carry that is exactly one operand gradient is written by that GEMM, with no kernel.
            da = [grp for grp in groups if self.enabled["carry_from_product"]
                  and d.definitions.get(e) == grp.da and grp.index not in carry_from_gemm.values()]
            if da:
                carry_from_gemm[s] = da[0].index
                self.changes["carry_from_product"].append(f"d{s} is written by group {da[0].index}'s product")
            else:
                quantities.append((self.ready(e), Slot(names.carry_next(self.state_code[s]), "row"), e))
        # A vector parameter's gradient is a sum over batch and steps. Most (biases) equal a
        # product's stream already written, and sum it after the loop; the others add up in the
        # kernel, one float64 row per batch row (deterministic: each row is one thread's, its
        # steps in order), instead of writing a [T, B, H] stream to sum after the loop.
        stored = {}
        for grp in groups:
            if grp.is_mean:  # its adjoints live for one step only
                continue
            arr, first = (names.input_products_grad(grp.index) if grp.operand_size == "input"
                          and grp.index not in dm_alias else names.products_grad(dm_alias.get(grp.index, grp.index))), 0
            if grp.index in dm_within:
                arr, first = names.input_products_grad(dm_within[grp.index][0]), dm_within[grp.index][1]
            for k, p in enumerate(grp.members):
                stored.setdefault(self.adjoint_value(p.symbol), (arr, first + k))
        # BPTT hands each boundary node's gradient to the stage after the loop in a stream
        for b in self.boundary:
            e = d.adjoint(b)
            quantities.append((self.ready(e), Slot(names.kept_grad(b.name), "t"), e))
            stored.setdefault(e, (names.kept_grad(b.name), 0))
        vector_sums: dict[str, tuple[str, int]] = {}
        accumulated: list[tuple[int, Slot, sp.Expr]] = []
        for name, sym in g.vectors.items():
            e = d.adjoint(sym)
            if e == 0 or sym in self.stage:  # the stage's are summed after it
                continue
            if self.sums_stream(name, d.definitions.get(e, e), stored, vector_sums):
                continue
            if self.enabled["accumulate_vector_grads"]:
                self.vector_rows[name] = names.vector_rows(sym.name)
                self.changes["accumulate_vector_grads"].append(f"d{name} adds up in its kernel")
                accumulated.append((self.ready(e), Slot(names.vector_rows(sym.name), "row"), e))
            else:
                quantities.append((self.ready(e), *self.vector_stream(name, e, vector_sums)))

        owner = {gi: s for s, gi in carry_from_gemm.items()}
        gemm_out = {grp.da: names.carry_next(self.state_code[owner[grp.index]]) if grp.index in owner
                    else names.operand_grad(self.mean_alias.get(grp.index, grp.index))
                    for grp in groups}
        step: list = []
        for level in range(L, -1, -1):
            outs = [(slot, e) for lvl, slot, e in quantities if lvl == level]
            accs = [(slot, e) for lvl, slot, e in accumulated if lvl == level]
            if outs or accs:
                purpose = f"adjoints ready after the level-{level + 1} GEMMs" if level < L \
                    else "adjoints from the step's outputs"
                if self.stored:
                    purpose += " (gates as the forward stored them)"
                elif self.summed:
                    purpose += " (an input product read here is its sum with the recurrent one)"
                leaf = self.backward_leaf(level, gemm_out)
                kernels = self.kernels(f"_backward_level{level}", purpose, outs, accs, leaf, backward=True)
                # Only a staged kernel adds up vector gradients: its copy-out loop adds a stage row
                # into the accumulator, vectorized; in a kernel's own loop a float64
                # read-modify-write keeps LLVM from packing it. The others stream after all.
                unstaged = {sl for k in kernels if not k.staged for sl, _ in k.accumulates}
                if unstaged:
                    for row, e in accs:
                        if row in unstaged:
                            name = next(n for n, a in self.vector_rows.items() if a == row.array)
                            outs.append(self.vector_stream(name, e, vector_sums))
                    accs = [(sl, e) for sl, e in accs if sl not in unstaged]
                    kernels = self.kernels(f"_backward_level{level}", purpose, outs, accs, leaf, backward=True)
                step.extend(kernels)
            for grp in groups:
                if level > 0 and grp.level == level and grp.index not in self.mean_alias \
                        and grp.index not in self.stage_groups:
                    comment = "d" + describe(grp, g.display, operand_only=True)
                    if grp.index in dm_within:
                        ui, first = dm_within[grp.index]
                        step.append(Gemm(names.input_products_grad(ui), True, names.panels(grp.index, False),
                                         gemm_out[grp.da], False, comment, (first, first + len(grp.members))))
                    else:
                        step.append(Gemm(names.products_grad(grp.index), not grp.is_mean,
                                         "" if grp.is_mean else names.panels(grp.index, False),
                                         gemm_out[grp.da], False, comment))
        stage = self.stage_backward(dm_alias, stored, vector_sums)
        return tuple(step), dm_alias, dm_within, carry_from_gemm, vector_sums, stage

    # ------------------------------------------------------------------ the input stage
    def stage_leaf(self, max_level: int):
        """Where a kernel of the input stage, after its level-`max_level` means, reads each
        value: the input products and the stage's means of every step; nodes it computes."""
        def slot(s):
            if s in self.vector_slot:
                return self.vector_slot[s]
            if s in self.member_slot:
                gi, k = self.member_slot[s]
                grp = self.groups[gi]
                if grp.operand_size == "input":
                    return Slot(names.input_products(gi), "t", k)
                if gi in self.stage_groups and grp.level <= max_level:
                    return Slot(names.products(gi), "scalar")
                raise AssertionError(f"the input stage reads {s}, which it has not computed")
            return None
        return slot

    def forward_stage(self) -> tuple:
        """Before the loop, over all [T * B] rows: the stage's means level by level, then the
        boundary nodes, onto the tape."""
        if not self.boundary:
            return ()
        program: list = []
        levels = sorted({self.groups[gi].level for gi in self.stage_groups})
        for level in levels:
            at = [gi for gi in sorted(self.stage_groups) if self.groups[gi].level == level]
            outs = [(Slot(names.operand(gi), "t"), self.groups[gi].operand) for gi in at if gi in self.operand_buffers]
            if outs:
                program.extend(self.kernels(f"_input_level{level - 1}", f"operands of the input's level-{level} means",
                                            outs, [], self.stage_leaf(level - 1)))
            for gi in at:
                src, columns = self.mean_operand(gi, names.operand(gi))
                program.append(Gemm(src, True, "", names.products(gi), True, describe(self.groups[gi], self.g.display),
                                    columns))
        outs = [(Slot(names.kept(b.name), "t"), b) for b in self.boundary]
        program.extend(self.kernels("_input_terms", "the input's terms of every step, for the recurrence", outs, [],
                                    self.stage_leaf(max(levels, default=0))))
        return tuple(program)

    def stage_backward(self, dm_alias: dict, stored: dict, vector_sums: dict) -> tuple:
        """After BPTT, over all [T * B] rows: from the boundary nodes' gradients, the stage's
        means' adjoints level by level down to the input products' (dX) and the stage's
        vector parameters' gradients."""
        if not self.boundary:
            return ()
        d, g = self.d, self.g
        stage_da = {self.groups[gi].da: self.groups[gi] for gi in self.stage_groups}
        top = max((grp.level for grp in stage_da.values()), default=0)

        def ready(e: sp.Expr) -> int:
            return min((stage_da[s].level for s in self.da_deps(e) if s in stage_da), default=top + 1) - 1

        quantities: list[tuple[int, Slot, sp.Expr]] = []
        for gi in sorted(self.stage_groups - set(self.mean_alias)):
            grp = self.groups[gi]
            e = d.adjoint(grp.members[0].symbol)
            quantities.append((min(ready(e), grp.level), Slot(names.products_grad(gi), "t"), e))
        for grp in self.groups:
            if grp.operand_size == "input" and grp.index not in dm_alias:
                quantities += [(ready(d.adjoint(p.symbol)), Slot(names.input_products_grad(grp.index), "t", k),
                                d.adjoint(p.symbol)) for k, p in enumerate(grp.members) if p.symbol in self.stage]
        for name, sym in g.vectors.items():
            e = d.adjoint(sym)
            if e == 0 or sym not in self.stage:
                continue
            if not self.sums_stream(name, d.definitions.get(e, e), stored, vector_sums):
                quantities.append((ready(e), *self.vector_stream(name, e, vector_sums)))
        boundary_grads = {d.adjoint(b): Slot(names.kept_grad(b.name), "t") for b in self.boundary}
        forward = self.stage_leaf(top)

        def leaf(level: int):
            def slot(s):
                if s in boundary_grads:
                    return boundary_grads[s]
                if s in stage_da:
                    gi = stage_da[s].index
                    return Slot(names.operand_grad(self.mean_alias.get(gi, gi)), "scalar") \
                        if stage_da[s].level > level else None
                if s in self.da_level or s in self.d.carries.values() or s == self.d.dy:
                    raise AssertionError(f"the input stage reads {s}, a gradient of the step's")
                if s in self.boundary:
                    return Slot(names.kept(s.name), "t")
                return forward(s)
            return slot

        program: list = []
        for level in range(top, -1, -1):
            outs = [(slot, e) for lvl, slot, e in quantities if lvl == level]
            if outs:
                program.extend(self.kernels(f"_input_backward_level{level}", "the input's gradients after BPTT" if level
                                            == 0 else f"adjoints of the input's level-{level} means", outs, [],
                                            leaf(level), backward=True))
            for gi in sorted(self.stage_groups - set(self.mean_alias)):
                grp = self.groups[gi]
                if level > 0 and grp.level == level:
                    program.append(Gemm(names.products_grad(gi), True, "", names.operand_grad(gi), True,
                                        "d" + describe(grp, g.display, operand_only=True)))
        return tuple(program)

    def sums_stream(self, name: str, value: sp.Expr, stored: dict, vector_sums: dict) -> bool:
        """bias_from_stream: whether a vector parameter's gradient is a stream already written
        (stored: adjoint value -> (stream, block)), which it then sums."""
        if value not in stored or not self.enabled["bias_from_stream"]:
            return False
        vector_sums[name] = stored[value]
        self.changes["bias_from_stream"].append(f"d{name} sums block {stored[value][1]} of {stored[value][0]}")
        return True

    def vector_stream(self, name: str, e: sp.Expr, vector_sums: dict) -> tuple[Slot, sp.Expr]:
        """A vector parameter's gradient as a [T, B, H] stream summed after the loop: where its
        kernel writes it (and, if it was to add up in that kernel, no longer there)."""
        if self.vector_rows.pop(name, None):
            self.changes["accumulate_vector_grads"].remove(f"d{name} adds up in its kernel")
        stream = names.vector_stream(self.g.vectors[name].name)
        vector_sums[name] = (stream, 0)
        return Slot(stream, "t"), e

    def backward_leaf(self, max_da_level: int, gemm_out: dict):
        """Where a backward kernel after the level-`max_da_level + 1` GEMMs reads each value."""
        forward = self.forward_leaf(self.L)
        carry_slot = {self.d.carries[s]: Slot(names.carry(self.state_code[s]), "row") for s in self.g.prev}
        stored_node = {node: forward(u) for u, node in self.stored.items()}

        def slot(s):
            if s in self.new_of:
                return Slot(names.state(self.state_code[self.new_of[s]]), "t+1")
            if s in carry_slot:
                return carry_slot[s]
            if s == self.d.dy:
                return Slot(names.DYS, "td")
            if s in self.da_level:
                return Slot(gemm_out[s], "row") if self.da_level[s] > max_da_level else None
            if s in self.stored:
                raise AssertionError(f"{s}: only its activation {self.stored[s]} is on the tape")
            if s in self.member_slot and self.member_slot[s][0] in self.summed:
                return None  # not kept: its sum with the input product is
            if s in stored_node:
                return stored_node[s]
            if s in self.kept:
                return Slot(names.kept(s.name), "t")
            return forward(s)
        return slot

    def input_gradient(self) -> tuple[Kernel | None, int | None]:
        """dx: the GEMM of the group whose operand is x itself, plus a kernel for the others."""
        dx_from_gemm, terms = None, []
        for grp in self.groups:
            if grp.operand_size != "input":
                continue
            if grp.operand == self.g.x and dx_from_gemm is None:
                dx_from_gemm = grp.index
            else:  # x's products of another row size add theirs in the kernel
                terms.append(self.d.dx_terms[grp.index])
        if not terms:
            return None, dx_from_gemm
        da_input = {grp.da: Slot(names.operand_grad(grp.index), "flat") for grp in self.groups if grp.operand_size == "input"}
        kernel = self.kernel("_input_gradient", "dx through input-sized operands", [],
                             [(Slot(names.DX_ROWS, "flat"), sp.Add(*terms))],
                             lambda s: self.input_leaf(s) or da_input.get(s), space="input")
        return kernel, dx_from_gemm


def _sum_only_pairs(d: Derivation) -> tuple[dict[int, int], dict[sp.Symbol, sp.Symbol], dict[sp.Symbol, sp.Expr]]:
    """Recurrent groups whose products each meet an input product only in a sum (W_k @ h + U_k @ x).

    Writing u -> u - w must remove w from everything the backward computes: then BPTT
    needs only u + w, which the forward stores in u's buffer. Products pair one to one,
    not group to group: a GRU's (W_r, W_z) @ h and W_n @ (r * h) both pair with members of
    (U_r, U_z, U_n) @ x. Returns recurrent group -> input group, w -> u, and the substitution."""
    g = d.graph
    exprs = [n.expr for n in g.nodes] + list(d.definitions.values())
    pairs: dict[int, int] = {}
    partner: dict[sp.Symbol, sp.Symbol] = {}
    to_sum: dict[sp.Symbol, sp.Expr] = {}
    inputs = [grp for grp in d.groups if grp.operand_size == "input"]

    def removes(sub: dict, gone: set) -> bool:
        return all(not (e.xreplace(sub).free_symbols & gone) for e in exprs)

    for w in d.groups:
        if w.operand_size == "input" or w.is_mean:
            continue
        for u in inputs:  # the whole group pairs with members of one input group, or stays
            found: dict[sp.Symbol, sp.Symbol] = {}
            for pw in w.members:
                for pu in u.members:
                    if pu.symbol in partner.values() or pu.symbol in found.values():
                        continue
                    if removes({pu.symbol: pu.symbol - pw.symbol}, {pw.symbol}):
                        found[pw.symbol] = pu.symbol
                        break
            sub = {pu: pu - pw for pw, pu in found.items()}
            if len(found) == len(w.members) and removes(sub, set(found)):
                pairs[w.index] = u.index
                partner.update(found)
                to_sum.update(sub)
                break
    return pairs, partner, to_sum


# LLVM vectorizes a loop only after checking at run time that the rows it writes overlap
# none of the others; past a limit on such checks the loop stays scalar. Their number grows
# as (rows written) x (other rows). Below this bound LLVM still manages (or staging the
# writes costs as much as it saves: the copies are extra passes); above it, staging pays.
_STAGE_ABOVE = 150


def _wide(reads: tuple, outputs: tuple) -> bool:
    """Whether a kernel's rows (the row views its loop indexes: a mean is read once per batch
    row, not in the loop) are too many for LLVM to vectorize the loop directly."""
    written = {sl for sl, _ in outputs}
    rows = written | {sl for _, sl in reads if sl.index != "scalar"}
    return len(written) * (len(rows) - 1) > _STAGE_ABOVE


def _schedule(body: list[tuple[sp.Symbol, sp.Expr]], outputs: list[sp.Expr]) -> list:
    """Order assignments so each follows what it reads (earliest first), dropping dead ones."""
    live: set[sp.Symbol] = set()
    defined = {s: e for s, e in body}
    stack = [s for e in outputs for s in e.free_symbols if s in defined]
    while stack:
        s = stack.pop()
        if s not in live:
            live.add(s)
            stack.extend(t for t in defined[s].free_symbols if t in defined)
    index = {s: i for i, (s, _) in enumerate(body)}
    deps = {s: {t for t in defined[s].free_symbols if t in live} for s in live}
    users: dict[sp.Symbol, list] = {}
    for s, ds in deps.items():
        for t in ds:
            users.setdefault(t, []).append(s)
    waiting = {s: len(ds) for s, ds in deps.items()}
    heap = [index[s] for s, n in waiting.items() if n == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        s = body[heapq.heappop(heap)][0]
        order.append((s, defined[s]))
        for u in users.get(s, []):
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(heap, index[u])
    return order


def describe(grp: Group, display: dict, operand_only: bool = False) -> str:
    params = ", ".join(p.param for p in grp.members)
    operand = str(grp.operand.xreplace({s: sp.Symbol(display.get(s, s.name)) for s in grp.operand.free_symbols}))
    if grp.is_mean:
        return f"({operand}) from d(mean({operand}))" if operand_only else f"mean({operand})"
    if operand_only:
        return f"({operand}) from d({params} @ {operand})"
    return f"({params}) @ {operand}"
