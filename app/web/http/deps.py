"""FastAPI dependencies: the settings and the provider database of the running app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.discovery.service import Discoverer
from app.providers.db import ProviderDB
from app.settings import Settings
from app.web.http.state import AppState


def state_of(request: Request) -> AppState:
    """The app's state, for code that has a request but is not a dependency."""
    state: AppState = request.app.state.mailsetup
    return state


# The dependencies are async although they never wait: FastAPI runs a sync
# dependency in a worker thread, a hop that cost more than the whole request.
async def get_state(request: Request) -> AppState:
    return state_of(request)


async def get_app_settings(state: Annotated[AppState, Depends(get_state)]) -> Settings:
    return state.settings


async def get_db(state: Annotated[AppState, Depends(get_state)]) -> ProviderDB:
    return state.db


async def get_discoverer(state: Annotated[AppState, Depends(get_state)]) -> Discoverer:
    return state.discoverer


StateDep = Annotated[AppState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
DBDep = Annotated[ProviderDB, Depends(get_db)]
DiscovererDep = Annotated[Discoverer, Depends(get_discoverer)]
