"""The workflow engine: titles declared in workflows/*.yaml, run by python-statemachine."""

from flask import current_app

from .loader import Workflow, WorkflowError, load_all


def workflows() -> dict[str, Workflow]:
    """The titles in force for the current app, by code."""
    return current_app.extensions["certify.workflows"]


def workflow(code: str) -> Workflow | None:
    return workflows().get(code)


__all__ = ["Workflow", "WorkflowError", "load_all", "workflows", "workflow"]
