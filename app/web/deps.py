"""FastAPI dependencies: the settings and the provider database of the running app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.discovery.pipeline import Discoverer
from app.providers.db import ProviderDB
from app.settings import Settings
from app.web.state import AppState


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.mailsetup
    return state


def get_app_settings(state: Annotated[AppState, Depends(get_state)]) -> Settings:
    return state.settings


def get_db(state: Annotated[AppState, Depends(get_state)]) -> ProviderDB:
    return state.db


def get_discoverer(state: Annotated[AppState, Depends(get_state)]) -> Discoverer:
    return state.discoverer


StateDep = Annotated[AppState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
DBDep = Annotated[ProviderDB, Depends(get_db)]
DiscovererDep = Annotated[Discoverer, Depends(get_discoverer)]
