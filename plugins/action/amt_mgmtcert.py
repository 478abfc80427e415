# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oob.amt contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side path of oob.amt.amt_mgmtcert on a local connection (see plugins/plugin_utils/amt_action.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.oob.amt.plugins.module_utils.zone_ca import OPERATION
from ansible_collections.oob.amt.plugins.plugin_utils.amt_action import FileActionBase


class ActionModule(FileActionBase):
    OPERATION = OPERATION
