"""Every user-facing string of the widgets, in English and Simplified Chinese, in one table.

The Python side formats its messages (status lines, cost line, errors) from
`STRINGS`; the browser side gets the same table inside the views' ESM
(`_assets.compose_esm`) and picks the language from the widget's `lang` trait.
Placeholders are `{name}` in both languages. The English names of controls are
the accessible names tests and screen readers rely on: change them only together
with the browser tests.
"""

from __future__ import annotations

import contextlib
import locale
import os
import string
from typing import Final

from .._errors import ValidationError

__all__ = ["LANGS", "STRINGS", "check_lang", "default_lang", "tr"]

LANGS: Final = ("en", "zh")
"""Languages the widgets speak: English and Simplified Chinese."""

STRINGS: Final[dict[str, dict[str, str]]] = {
    "en": {
        # motion grid
        "search_motions": "Search motions",
        "motions": "Motions",
        "categories": "Categories",
        "category_all": "All",
        "badge_top_choice": "Top choice",
        "badge_new": "New",
        "badge_mix": "Mix",
        "n_motions": "{n} motions",
        "n_match": "{shown} of {total} match",
        "no_match": "No motion matches.",
        "no_motions": "No motions.",
        # image input
        "image": "Image",
        "first_frame": "First frame",
        "last_frame": "Last frame",
        "optional": "optional",
        "first_frame_url": "First frame URL",
        "last_frame_url": "Last frame URL",
        "url_placeholder": "https://… image URL",
        "choose_image": "Choose image",
        "drop_hint": "Drop, paste or choose an image",
        "clear_frame": "Remove {frame}",
        "frame_alt": "{frame}: {name}",
        "last_alone": "Choose the first frame too: a last frame alone is not used.",
        # controls
        "model": "Model",
        "model_option": "{model} · {price} pts",
        "seed": "Seed",
        "new_seed": "New seed",
        "keep_seed": "Keep seed",
        "size": "Size",
        "size_custom": "Custom",
        "width": "Width",
        "height": "Height",
        "prompt": "Prompt",
        "prompt_placeholder": "What happens in the video (optional)",
        "enhance_prompt": "Enhance prompt",
        "generate": "Generate",
        "submitting": "Submitting…",
        "waiting": "Waiting…",
        "cancel": "Cancel",
        "copy_as_code": "Copy as code",
        "code": "Code",
        "copied": "Copied to the clipboard.",
        "copy_blocked": "Select the code and copy it (this page does not allow copying from script).",
        # status and cost
        "cost": "{label}: {cost} pts ({what}) · spent so far: {spent} pts",
        "cost_budget": " of {budget} ({left} left)",
        "cost_held": "; counted against the budget too: {held}",
        "cost_uncertain": "{points} pts uncertain",
        "cost_in_flight": "{points} pts being sent",
        "over_budget": "over budget: Generate will refuse",
        "this_call": "This call",
        "this_run": "This run",
        "no_journal": "Tasks are not being journalled: a task left running is not picked up by a new kernel.",
        "status_submitting": "Submitting #{n} ({motion}, {model})…",
        "status_not_submitted": "#{n} was not submitted.",
        "status_uncertain": (
            "#{n} was sent but no answer came back: it may exist and may have been charged "
            "(it is in hfwidgets.history() as uncertain). It was NOT resubmitted."
        ),
        "uncertain_note": "sent, but no answer: it may exist and may have been charged",
        "status_submitted": "#{n} submitted: task {task}.",
        "status_done": "#{n} {status}: task {task}.",
        "status_stopped": (
            "Stopped waiting for #{n}. Task {task} continues on the server and stays in the history "
            "(hfwidgets.history()); a new Studio picks it up."
        ),
        "status_failed": "Failed: see the message above.",
        "status_resuming": "Picking up {n} task(s) left pending by an earlier kernel…",
        "progress_line": "{label} {status} · {elapsed} s elapsed · {eta}",
        "progress_bar": "Progress",
        "eta_left": "about {n} s left",
        "eta_over": "taking longer than usual ({usually})",
        "eta_done": "done",
        "usually": "usually {low}–{high} s",
        # sketches of the motions on the user's image
        "sketch_toggle": "Sketch on my image",
        "sketch_alt": "Sketch of {name} on your image",
        "sketch_badge": "Sketch",
        # task statuses
        "st_submitting": "submitting",
        "st_queued": "queued",
        "st_in_progress": "in progress",
        "st_completed": "completed",
        "st_failed": "failed",
        "st_nsfw": "nsfw",
        "st_canceled": "canceled",
        "st_not_submitted": "not submitted",
        "st_waiting_stopped": "waiting stopped",
        "st_still_running": "still running",
        "st_not_resumed": "not resumed",
        "st_uncertain": "uncertain",
        # result
        "result": "Result",
        "no_task": "No task yet.",
        "completed_video": "Completed: {seconds} s video.",
        "completed": "Completed.",
        "playing_kept": "Its link no longer works: playing the copy kept on this machine.",
        "pending_queued": "Queued: waiting for a free worker…",
        "pending_in_progress": "Generating the video…",
        "status_other": "Status: {status}",
        "no_video_yet": "No video yet.",
        "waiting_video": "Waiting for the video…",
        "loading_video": "Loading the video…",
        "not_connected": "Not connected to a running kernel. Run the cell to use it.",
        "reading_image": "Reading {name} ({size})…",
        "reduced_to": "sent as {size}",
        "no_video_url": "The task completed without a video URL.",
        "no_video_status": "No video: the task ended with status “{status}”.",
        "video_failed": "The video could not be loaded.",
        "download": "Download mp4",
        "saving": "Saving…",
        "saved_to": "Saved to {path}",
        "stopped_waiting": "Stopped waiting: the task continues on the server.",
        "raw_feed": "Raw feed JSON",
        "show_more": "Show {n} more of {left}",
        "p_task": "Task",
        "p_model": "Model",
        "p_motion": "Motion",
        "p_seed": "Seed",
        "p_size": "Size",
        "p_frames": "Frames",
        "p_steps": "Steps",
        "p_guide_scale": "Guide scale",
        "p_strength": "Strength",
        "p_enhance_prompt": "Enhance prompt",
        "p_duration": "Duration",
        "p_created": "Created",
        "yes": "yes",
        "no": "no",
        # history
        "history": "History",
        "history_item": "#{n} {motion} · {model} · seed {seed} · {status}",
        "history_thumb": "Input of #{n}",
        "use_params": "Use these parameters",
        "resumed": "resumed from an earlier kernel",
        # compare
        "compare": "Compare",
        "close": "Close",
        "compare_entry": "Compare {label}",
        "compare_hint": "Check 2 to 4 finished results ({n} checked).",
        "comparison": "Comparison",
        "play_all": "Play all",
        "pause_all": "Pause all",
        "position": "Position",
        "compare_item": "#{n} {motion} · {model} · seed {seed}",
        "compare_differ": "Parameters that differ (≠)",
        "compare_same": "Same in all: {rows}",
        "url_size_unknown": "{problem}; choose the video's size under Size",
        # banners
        "emulator_title": "Emulator mode.",
        "emulator_text": (
            "No API key is set, so videos are synthetic: the local emulator makes them, nothing is sent "
            "to the service and nothing is charged. To use the real service, set {env} "
            '(in any notebook, marimo included: import os; os.environ["{env}"] = "hk-...") '
            "and create a new widget."
        ),
        # explorer and ads
        "run_n": "Run {n} videos",
        "running": "Running…",
        "done": "Done",
        "explorer_submitting": "Submitting {n} tasks…",
        "explorer_done": "{done} of {total} finished",
        "explorer_failed": ", {failed} failed (see each cell)",
        "cell_label": "{motion} · seed {seed}",
        "videos": "Videos",
        "template_id": "Template id",
        "product_image": "Product image",
        "make_ad": "Make the ad",
        "ad_submitting": "Submitting the ad task…",
        "ad_done": "ad {status}: task {task}",
        "ad_failed": "The ad task did not finish: see the message above.",
        "ad": "ad",
    },
    "zh": {
        "search_motions": "搜索动作",
        "motions": "动作",
        "categories": "分类",
        "category_all": "全部",
        "badge_top_choice": "精选",
        "badge_new": "新",
        "badge_mix": "组合",
        "n_motions": "共 {n} 个动作",
        "n_match": "{total} 个中匹配 {shown} 个",
        "no_match": "没有匹配的动作。",
        "no_motions": "没有动作。",
        "image": "图片",
        "first_frame": "首帧",
        "last_frame": "尾帧",
        "optional": "可选",
        "first_frame_url": "首帧网址",
        "last_frame_url": "尾帧网址",
        "url_placeholder": "https://… 图片网址",
        "choose_image": "选择图片",
        "drop_hint": "拖放、粘贴或选择图片",
        "clear_frame": "移除{frame}",
        "frame_alt": "{frame}：{name}",
        "last_alone": "请同时选择首帧：只有尾帧不会被使用。",
        "model": "模型",
        "model_option": "{model} · {price} 点",
        "seed": "种子",
        "new_seed": "新种子",
        "keep_seed": "保留种子",
        "size": "尺寸",
        "size_custom": "自定义",
        "width": "宽度",
        "height": "高度",
        "prompt": "提示词",
        "prompt_placeholder": "视频中发生什么（可选）",
        "enhance_prompt": "优化提示词",
        "generate": "生成",
        "submitting": "提交中…",
        "waiting": "等待中…",
        "cancel": "取消",
        "copy_as_code": "复制为代码",
        "code": "代码",
        "copied": "已复制到剪贴板。",
        "copy_blocked": "请选中代码后复制（此页面不允许脚本复制）。",
        "cost": "{label}：{cost} 点（{what}）· 已花费：{spent} 点",
        "cost_budget": "，预算 {budget}（剩余 {left}）",
        "cost_held": "；同样计入预算：{held}",
        "cost_uncertain": "{points} 点未确定",
        "cost_in_flight": "{points} 点正在发送",
        "over_budget": "超出预算：生成将被拒绝",
        "this_call": "本次调用",
        "this_run": "本次运行",
        "no_journal": "任务未被记录：仍在运行的任务不会被新内核接续。",
        "status_submitting": "正在提交 #{n}（{motion}，{model}）…",
        "status_not_submitted": "#{n} 未提交。",
        "status_uncertain": (
            "#{n} 已发送但没有收到回复：任务可能已存在并可能已收费"
            "（在 hfwidgets.history() 中标为 uncertain）。没有重新提交。"
        ),
        "uncertain_note": "已发送但无回复：可能已存在并可能已收费",
        "status_submitted": "#{n} 已提交：任务 {task}。",
        "status_done": "#{n} {status}：任务 {task}。",
        "status_stopped": (
            "已停止等待 #{n}。任务 {task} 仍在服务器上运行，并保留在历史中（hfwidgets.history()）；"
            "新的 Studio 会接续它。"
        ),
        "status_failed": "失败：请看上方的消息。",
        "status_resuming": "正在接续之前内核留下的 {n} 个任务…",
        "progress_line": "{label} {status} · 已用 {elapsed} 秒 · {eta}",
        "progress_bar": "进度",
        "eta_left": "约剩 {n} 秒",
        "eta_over": "比平常更久（{usually}）",
        "eta_done": "完成",
        "usually": "通常 {low}–{high} 秒",
        "sketch_toggle": "在我的图片上预览草图",
        "sketch_alt": "{name} 在你的图片上的草图",
        "sketch_badge": "草图",
        "st_submitting": "提交中",
        "st_queued": "排队中",
        "st_in_progress": "生成中",
        "st_completed": "已完成",
        "st_failed": "失败",
        "st_nsfw": "内容不合规",
        "st_canceled": "已取消",
        "st_not_submitted": "未提交",
        "st_waiting_stopped": "已停止等待",
        "st_still_running": "仍在运行",
        "st_not_resumed": "未能接续",
        "st_uncertain": "结果不明",
        "result": "结果",
        "no_task": "还没有任务。",
        "completed_video": "已完成：{seconds} 秒视频。",
        "completed": "已完成。",
        "playing_kept": "视频链接已失效：正在播放本机保存的副本。",
        "pending_queued": "排队中：等待空闲的工作节点…",
        "pending_in_progress": "正在生成视频…",
        "status_other": "状态：{status}",
        "no_video_yet": "还没有视频。",
        "waiting_video": "正在等待视频…",
        "loading_video": "正在载入视频…",
        "not_connected": "未连接到运行中的内核。运行此单元格即可使用。",
        "reading_image": "正在读取 {name}（{size}）…",
        "reduced_to": "以 {size} 发送",
        "no_video_url": "任务已完成，但没有视频网址。",
        "no_video_status": "没有视频：任务以状态“{status}”结束。",
        "video_failed": "无法载入视频。",
        "download": "下载 mp4",
        "saving": "保存中…",
        "saved_to": "已保存到 {path}",
        "stopped_waiting": "已停止等待：任务仍在服务器上运行。",
        "raw_feed": "原始 feed JSON",
        "show_more": "再显示 {n} 项（剩余 {left} 项）",
        "p_task": "任务",
        "p_model": "模型",
        "p_motion": "动作",
        "p_seed": "种子",
        "p_size": "尺寸",
        "p_frames": "帧数",
        "p_steps": "步数",
        "p_guide_scale": "引导系数",
        "p_strength": "强度",
        "p_enhance_prompt": "优化提示词",
        "p_duration": "时长",
        "p_created": "创建时间",
        "yes": "是",
        "no": "否",
        "history": "历史",
        "history_item": "#{n} {motion} · {model} · 种子 {seed} · {status}",
        "history_thumb": "#{n} 的输入图片",
        "use_params": "使用这些参数",
        "resumed": "从之前的内核接续",
        "compare": "对比",
        "close": "关闭",
        "compare_entry": "对比 {label}",
        "compare_hint": "勾选 2 到 4 个已完成的结果（已勾选 {n} 个）。",
        "comparison": "并排对比",
        "play_all": "全部播放",
        "pause_all": "全部暂停",
        "position": "播放位置",
        "compare_item": "#{n} {motion} · {model} · 种子 {seed}",
        "compare_differ": "不同的参数（≠）",
        "compare_same": "全部相同：{rows}",
        "url_size_unknown": "{problem}；请在“尺寸”中选择视频尺寸",
        "emulator_title": "模拟器模式。",
        "emulator_text": (
            "未设置 API 密钥，因此视频是合成的：由本地模拟器生成，不会发送到服务，也不会收费。"
            "要使用真实服务，请设置 {env}"
            '（任何笔记本都适用，包括 marimo：import os; os.environ["{env}"] = "hk-..."）并新建一个组件。'
        ),
        "run_n": "运行 {n} 个视频",
        "running": "运行中…",
        "done": "完成",
        "explorer_submitting": "正在提交 {n} 个任务…",
        "explorer_done": "{total} 个中已完成 {done} 个",
        "explorer_failed": "，{failed} 个失败（见各单元）",
        "cell_label": "{motion} · 种子 {seed}",
        "videos": "视频",
        "template_id": "模板 id",
        "product_image": "产品图片",
        "make_ad": "制作广告",
        "ad_submitting": "正在提交广告任务…",
        "ad_done": "广告 {status}：任务 {task}",
        "ad_failed": "广告任务未完成：请看上方的消息。",
        "ad": "广告",
    },
}


def placeholders(text: str) -> set[str]:
    """The `{name}` fields of a string of the table."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def check_lang(lang: object) -> str:
    """The language code, or ValidationError naming the allowed ones."""
    if not isinstance(lang, str) or lang not in LANGS:
        raise ValidationError("lang", lang, " or ".join(map(repr, LANGS)))
    return lang


def default_lang() -> str:
    """The default language: "zh" when the locale (LC_ALL, LANG, ...) is Chinese, else "en"."""
    candidates = [os.environ.get(name, "") for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")]
    with contextlib.suppress(ValueError):  # an unparsable locale setting
        candidates.append(locale.getlocale()[0] or "")
    for value in candidates:
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def tr(lang: str, key: str, **values: object) -> str:
    """The string `key` in `lang`, with its `{placeholders}` filled."""
    table = STRINGS.get(lang, STRINGS["en"])
    text = table.get(key, STRINGS["en"][key])
    return text.format(**values) if values else text
