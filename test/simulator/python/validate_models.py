"""Validates simulator responses with the Pydantic models of the third-party polymarket-apis package.

Reads a JSON array of {"route", "model", "body"} from the file named by argv[1]; "model" is a model
name of polymarket_apis, optionally wrapped as list[...] or PaginatedResponse[...]. Prints one JSON
object: {"checked": n, "failures": [{"route", "model", "errors"}]}.
"""
import json
import sys

from pydantic import TypeAdapter, ValidationError
from polymarket_apis.types import clob_types, data_types, gamma_types

MODULES = (gamma_types, data_types, clob_types)


def model_of(name: str):
    if name.startswith("list[") and name.endswith("]"):
        return list[model_of(name[5:-1])]
    if name.startswith("PaginatedResponse[") and name.endswith("]"):
        return clob_types.PaginatedResponse[model_of(name[18:-1])]
    for module in MODULES:
        found = getattr(module, name, None)
        if found is not None:
            return found
    raise KeyError(f"polymarket_apis has no model {name}")


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    failures = []
    for case in cases:
        try:
            TypeAdapter(model_of(case["model"])).validate_python(case["body"])
        except ValidationError as err:
            errors = [{"loc": list(e["loc"]), "msg": e["msg"], "input": repr(e.get("input"))[:120]} for e in err.errors()[:5]]
            failures.append({"route": case["route"], "model": case["model"], "errors": errors})
    print(json.dumps({"checked": len(cases), "failures": failures}))


if __name__ == "__main__":
    main()
