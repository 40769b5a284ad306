"""The prediction graph run node after node, without dask's scheduler.

Rasa 3.6 runs its prediction graph with `DaskGraphRunner`, which hands the graph to
`dask.get` twice a turn (parse, then every prediction). The graph is a small chain
(normaliser → tokenizer → featurizers → classifier … ; the policies), run in one
thread, so dask's work — ordering the graph, tracking ready and finished tasks,
resolving arguments — is pure overhead: about 8 % of a loaded server's samples
(docs/BENCHMARKS.md). `SequentialGraphRunner` does the same calls in a topological
order worked out once per set of targets: every node gets the same arguments as
under dask (its parents' `(name, output)` pairs, an input's `(name, value)` pair, or
the bare name of a need nothing provides), and `run` returns the same
`{target: output}`. Training keeps Rasa's runner.
"""

from __future__ import annotations

from graphlib import TopologicalSorter
from typing import Any, Optional

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

Plan = tuple[tuple[str, tuple[str, ...]], ...]  # (node name, the names it needs), in order


class SequentialGraphRunner(DaskGraphRunner):
    """`DaskGraphRunner` with the nodes called one after another in a fixed order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, ...], Plan] = {}

    def _plan(self, targets: tuple[str, ...]) -> Plan:
        plan = self._plans.get(targets)
        if plan is None:
            schema = self._graph_schema.minimal_graph_schema(list(targets))
            needs = {name: tuple(node.needs.values()) for name, node in schema.nodes.items()}
            order = TopologicalSorter(
                {name: [n for n in parents if n in needs] for name, parents in needs.items()}
            ).static_order()
            plan = self._plans[targets] = tuple((name, needs[name]) for name in order)
        return plan

    def run(
        self,
        inputs: Optional[dict[str, Any]] = None,
        targets: Optional[list[str]] = None,
    ) -> dict[str, Any]:
        """Runs the graph (see `GraphRunner.run`)."""
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        plan = self._plan(run_targets)
        values: dict[str, Any] = {}
        if inputs:
            nodes = {name for name, _ in plan}
            for name, value in inputs.items():
                if isinstance(value, str) and value in nodes:
                    # what Rasa's runner refuses (DaskGraphRunner._add_inputs_to_graph)
                    raise GraphRunError(
                        f"Input value '{value}' clashes with a node name. Make sure "
                        f"that none of the input names passed to the `run` method are the "
                        f"same as node names in the graph schema.")
                values[name] = (name, value)
        try:
            for name, parents in plan:
                values[name] = self._instantiated_nodes[name](
                    *(values.get(parent, parent) for parent in parents))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(values[target] for target in run_targets)
