"""
安全生产网络舆情应对预案 (the work-safety plan), modelled with the Python API.

Source: ``shared/seeds/000_375a4e5818a17de0.txt``, the third plan
("2023年网络舆情处置预案3").  Every grade, category, principle and action
quotes the sentence it comes from in its ``Clause``.

What systems feeding this plan must send:

* observations of metric ``clicks`` (跟贴点击次数) per site, and ``reposts``
  (转发次数) with channel ``weibo`` or ``blog``;
* facts ``netizen_concern``, ``content_nature``, ``new_accident_grade``,
  ``needs_support`` and ``suspected_crime`` when known;
* events ``worsening``, ``reply_doubted`` and ``subsided`` when they happen,
  and ``action_done`` for each action completed.

Readings of ambiguous sentences (see docs/explanation/work-safety-plan.md):

1. "同一言论在不同网站出现，跟贴点击次数在1天内超过1000次，或者在微博、博客转发
   超过100次": the "different websites" condition goes with the click count
   only.  "或者" opens a complete alternative with its own venue ("在微博、
   博客"), which takes the place of "在不同网站".
2. "1天内" is a rolling 24 hours, the window stated; the repost counts state
   no window, so they are cumulative (a window is never inferred).
3. "超过5万次以上" and "超过500次以上" say both 超过 (>) and 以上 (>=);
   超过 governs, so the bounds are strict, like every other bound here.
4. "有可能造成较大负面影响" describes the grade; it is not a separate
   condition (it cannot be measured, and no body is named to judge it).
5. "仅有少量围观" (一般) is what "highest matching grade wins" already
   expresses: an incident with more than a small crowd is graded higher.
"""

from __future__ import annotations

from opinion_rules import (
    Action,
    Category,
    Clause,
    EventSpec,
    FactSpec,
    Grade,
    Measure,
    Plan,
    Principle,
    ReportChain,
    Role,
)
from opinion_rules.conditions import all_of, any_of, category, event_seen, fact, grade, measure
from opinion_rules.deadlines import immediately, no_deadline, promptly, until
from opinion_rules.windows import cumulative, rolling


SOURCE = (
    "《安全生产网络舆情应对预案》,国家安全生产监督管理总局,自印发之日起实施(原文未载文号和印发日期);"
    "收于《关于2024年网络舆情处置预案3篇》(网络范文汇编)之三“2023年网络舆情处置预案3”"
)

# -- roles (三、组织领导及分工) -------------------------------------------------

ROLES = (
    Role("opinion_office", "总局通信信息中心网络舆情处(舆情处)", "Public Opinion Office"),
    Role("personnel_dept", "总局人事司(宣传教育办公室)", "Personnel Dept. (Publicity Office)"),
    Role("leader_in_charge", "总局分管领导", "Bureau leader in charge"),
    Role("principal_leader", "总局主要领导", "Bureau principal leader"),
    Role("bureau_leaders", "总局领导", "Bureau leaders"),
    Role("duty_office", "总局总值班室", "Bureau duty office"),
    Role("relevant_units", "相关单位(相关业务司局和单位)", "Relevant units"),
    Role("website_office", "通信信息中心政府网站处", "Government Website Office"),
)

# -- what incidents report ------------------------------------------------

MEASURES = (
    Measure(
        "clicks_1d",
        metric="clicks",
        window=rolling(days=1),
        label="跟贴点击次数(1天内)",
    ),
    Measure(
        "sites_1d",
        metric="clicks",
        window=rolling(days=1),
        aggregate="distinct_sites",
        label="出现该言论的网站数(1天内)",
    ),
    Measure(
        "reposts",
        metric="reposts",
        window=cumulative(),
        channels=("weibo", "blog"),
        label="微博、博客转发次数",
    ),
)

FACTS = (
    FactSpec(
        "netizen_concern",
        type="enum",
        choices=("inquiry", "doubt", "demand", "other"),
        choice_labels={"inquiry": "询问", "doubt": "质疑", "demand": "诉求", "other": "其他"},
        label="网民诉求类型(询问/质疑/诉求)",
        clause=Clause(
            "二(三)1",
            "一般网络舆情。指网民对某项政策或某个事故处理进行询问、提出质疑、表达诉求,仅有少量围观的舆情。",
        ),
    ),
    FactSpec(
        "content_nature",
        type="enum",
        choices=("suggestion", "valid_criticism", "vague_tip", "false_harmful", "malicious_hype"),
        choice_labels={
            "suggestion": "意见、建议",
            "valid_criticism": "属实或有一定根据的批评",
            "vague_tip": "线索不明晰的举报",
            "false_harmful": "严重失实、恶意中伤的有害信息",
            "malicious_hype": "蓄意破坏、恶意反复炒作",
        },
        label="舆情内容性质",
        clause=Clause(
            "五(四)",
            "根据舆情级别和涉事原因,按照“实事求是、公开透明,口径一致、准确及时”的原则……进行回应。",
        ),
    ),
    FactSpec(
        "new_accident_grade",
        type="enum",
        choices=("ordinary", "larger", "major", "especially_major"),
        choice_labels={
            "ordinary": "一般",
            "larger": "较大",
            "major": "重大",
            "especially_major": "特别重大",
        },
        ordered=True,
        label="新发生生产安全事故等级",
        clause=Clause("五(一)4", "舆情处发现刚发生的较大以上生产安全事故,应立即通知总局总值班室。"),
    ),
    FactSpec(
        "needs_support",
        type="bool",
        label="需要其他单位配合支持",
        clause=Clause("五(一)3", "需要请其他单位配合支持的,应当同时通报相关单位。"),
    ),
    FactSpec(
        "suspected_crime",
        type="bool",
        label="涉嫌违法犯罪",
        clause=Clause("四(四)", "对恶意炒作、涉嫌违法犯罪的,报请网络安全监察机关依法予以处置。"),
    ),
)

# -- grades (二(三) 分级应对) ------------------------------------------------

MULTI_SITE = measure("sites_1d") >= 2  # "同一言论在不同网站出现": two sites or more

GRADES = (
    Grade(
        "general",
        "一般网络舆情",
        rank=0,
        criteria=fact("netizen_concern").one_of("inquiry", "doubt", "demand"),
        clause=Clause(
            "二(三)1",
            "一般网络舆情。指网民对某项政策或某个事故处理进行询问、提出质疑、表达诉求,仅有少量围观的舆情。",
        ),
        name_en="ordinary",
    ),
    Grade(
        "larger",
        "较大网络舆情",
        rank=1,
        criteria=any_of(
            all_of(MULTI_SITE, measure("clicks_1d") > 1000),
            measure("reposts") > 100,
        ),
        clause=Clause(
            "二(三)2",
            "较大网络舆情。指同一言论在不同网站出现,跟贴点击次数在1天内超过1000次,或者在微博、博客转发超过100次,有可能造成较大负面影响的舆情。",
        ),
        name_en="larger",
    ),
    Grade(
        "major",
        "重大网络舆情",
        rank=2,
        criteria=any_of(
            all_of(MULTI_SITE, measure("clicks_1d") > 10000),
            measure("reposts") > 300,
        ),
        clause=Clause(
            "二(三)3",
            "重大网络舆情。指同一言论在不同网站同时出现,点击次数在1天内超过1万次,或微博、博客转发超过300次,有可能造成重大影响的舆情。",
        ),
        name_en="major",
    ),
    Grade(
        "especially_major",
        "特别重大网络舆情",
        rank=3,
        criteria=any_of(
            all_of(MULTI_SITE, measure("clicks_1d") > 50000),
            measure("reposts") > 500,
        ),
        clause=Clause(
            "二(三)4",
            "特别重大网络舆情。指同一言论在不同网站出现,1天内点击次数超过5万次以上;或微博、博客转发超过500次以上,有可能造成重大负面影响或造成重大围观事件的舆情。",
        ),
        name_en="especially major",
    ),
)

# -- handling categories (五(四) 回应舆情) -------------------------------------

CATEGORIES = (
    Category(
        "suggestion",
        "意见、建议",
        fact("content_nature").eq("suggestion"),
        Clause("五(四)1", "对与安全生产工作密切相关的意见、建议,可研究提出回应意见,及时跟帖回复。"),
    ),
    Category(
        "valid_criticism",
        "属实或有一定根据的批评",
        fact("content_nature").eq("valid_criticism"),
        Clause(
            "五(四)2",
            "对反映安全生产工作问题情况属实的,或有一定根据的批评性舆情,要以解决反映的问题为重点,直面问题,勇担责任,及时跟帖回应,表明态度,主动道歉,公开处理结果,理顺和稳定公众情绪,扭转不利导向。",
        ),
    ),
    Category(
        "vague_tip",
        "线索不明晰的举报",
        fact("content_nature").eq("vague_tip"),
        Clause(
            "五(四)3",
            "对带有举报性质,但线索不明晰的舆情,相关单位要及时回应,跟踪深挖线索,严查违法违规行为,给社会公众一个明确解决问题的预期,及时公开事实真相和处理结果。",
        ),
    ),
    Category(
        "false_harmful",
        "严重失实、恶意中伤的有害信息",
        fact("content_nature").eq("false_harmful"),
        Clause(
            "五(四)4",
            "对内容严重失实、恶意中伤、严重误导社会认知的有害信息,要力争及时、客观、准确地发布事实真相,公开辟谣,澄清事实,提请有关网站对不实信息或谣言进行删除、覆盖等操作,消除不良影响。",
        ),
    ),
    Category(
        "malicious_hype",
        "蓄意破坏、恶意反复炒作",
        fact("content_nature").eq("malicious_hype"),
        Clause(
            "五(四)5",
            "对蓄意破坏、恶意反复炒作,可能引发舆情发酵的信息,要及时澄清事实真相,舒缓社会公众的情绪。要注重从源头上控制信息的进一步传播,平息事态。",
        ),
    ),
)

# -- principles (二、工作原则; 四、五 preambles) --------------------------------

PRINCIPLES = (
    Principle(
        "timely_assessment",
        "及时研判，准确把握",
        "网络舆情出现后，应及时分析研判，对事件予以准确定性，并提出具有针对性的应对措施。",
        Clause(
            "二(一)",
            "及时研判,准确把握。网络舆情出现后,应及时分析研判,对事件予以准确定性,并提出具有针对性的应对措施。",
        ),
    ),
    Principle(
        "positive_guidance",
        "积极发声，正面引导",
        "及时准确发布权威信息，有效引导网上舆论，掌控舆论的主导权和话语权，化解和降低不良影响。",
        Clause(
            "二(二)",
            "积极发声,正面引导。及时准确发布权威信息,有效引导网上舆论,掌控舆论的主导权和话语权,化解和降低不良影响,使网络宣传服务于安全生产工作大局,服务于突发事件的妥善处置。",
        ),
    ),
    Principle(
        "graded_response",
        "分级应对，有序管理",
        "针对不同等级的舆情，坚持分级应对的原则，采取不同应对措施，提高效率，注重效果。",
        Clause(
            "二(三)",
            "分级应对,有序管理。根据网络舆论可能造成社会影响的大小,安全生产网络舆情划分为一般网络舆情、较大网络舆情、重大网络舆情和特别重大网络舆情。针对不同等级的舆情,坚持分级应对的原则,采取不同应对措施,提高效率,注重效果。",
        ),
    ),
    Principle(
        "whoever_governs_responds",
        "谁主管、谁负责",
        "严格执行保密、新闻、宣传法律法规，按照“谁主管、谁负责”的原则进行应对处置。",
        Clause(
            "四",
            "应对网络舆情,要严格执行保密、新闻、宣传法律法规,按照“谁主管、谁负责”的原则进行应对处置",
        ),
    ),
    Principle(
        "positive_orientation",
        "坚持正面导向",
        "通过权威发布和解疑释惑，增加相关工作的透明度，以疏代堵，积极把握网络舆论主动权。",
        Clause(
            "五",
            "坚持正面导向的原则,通过权威发布和解疑释惑,增加相关工作的透明度,以疏代堵,积极把握网络舆论主动权。",
        ),
    ),
)

# -- actions -------------------------------------------------------------------

GRADE_IS_GENERAL = grade().eq("general")
GRADE_IS_LARGER = grade().eq("larger")
MAJOR_OR_ABOVE = grade() >= "major"  # "重大以上" includes 重大
ANY_GRADE = grade() >= "general"  # "舆情确认后"

_C_GENERAL = "1.一般网络舆情。舆情处发现后要通过舆情动态及时反应,由人事司(宣教办)通知相关单位依据职能分工依法依规进行办理,经本单位负责人审定后答复。"
_C_LARGER = "2.较大网络舆情。舆情处发现后要及时报告人事司(宣教办),由人事司(宣教办)会同相关单位作出定性并提出应急处置意见,报总局分管领导批准后实施有效应对。应对情况要以简报形式报总局领导。"
_C_MAJOR = "3.重大以上网络舆情。舆情处发现后要立即电话报告人事司(宣教办),同时启动舆情应急预案,起草舆情专报,经人事司(宣教办)报总局主要领导和分管领导批示后组织开展应对工作。需要请其他单位配合支持的,应当同时通报相关单位。"

ACTIONS = (
    # 五(一) 收集研判预警
    Action(
        "assess_and_grade",
        "分析预判潜在影响和风险，确定舆情等级和影响程度",
        owners=("opinion_office",),
        channel="internal",
        deadline=promptly("discovered"),
        clause=Clause(
            "五(一)",
            "舆情处值班人员通过舆情收集系统实时搜集安全生产相关信息,通过分析预判其对安全生产工作的潜在影响和风险,确定舆情的等级和影响程度,筛选出相关舆情并按以下分类报送和处置",
        ),
        stage="assess",
    ),
    Action(
        "general_bulletin",
        "通过舆情动态及时反应",
        owners=("opinion_office",),
        channel="bulletin",
        condition=GRADE_IS_GENERAL,
        deadline=promptly("discovered"),
        clause=Clause("五(一)1", _C_GENERAL),
        stage="report",
    ),
    Action(
        "general_notify_units",
        "通知相关单位依据职能分工依法依规进行办理",
        owners=("personnel_dept",),
        channel="notice",
        condition=GRADE_IS_GENERAL,
        deadline=no_deadline("action_done:general_bulletin"),
        clause=Clause("五(一)1", _C_GENERAL),
        stage="report",
    ),
    Action(
        "general_reply",
        "经本单位负责人审定后答复",
        owners=("relevant_units",),
        channel="web_post",
        condition=GRADE_IS_GENERAL,
        deadline=no_deadline("action_done:general_notify_units"),
        clause=Clause("五(一)1", _C_GENERAL),
        stage="respond",
    ),
    Action(
        "larger_report",
        "及时报告人事司(宣教办)",
        owners=("opinion_office",),
        channel="unspecified",
        condition=GRADE_IS_LARGER,
        deadline=promptly("discovered"),
        clause=Clause("五(一)2", _C_LARGER),
        stage="report",
    ),
    Action(
        "larger_characterise",
        "会同相关单位作出定性并提出应急处置意见",
        owners=("personnel_dept", "relevant_units"),
        channel="internal",
        condition=GRADE_IS_LARGER,
        deadline=no_deadline("action_done:larger_report"),
        clause=Clause("五(一)2", _C_LARGER),
        stage="assess",
    ),
    Action(
        "larger_approval",
        "报总局分管领导批准后实施有效应对",
        owners=("personnel_dept",),
        channel="written_report",
        condition=GRADE_IS_LARGER,
        deadline=no_deadline("action_done:larger_characterise"),
        clause=Clause("五(一)2", _C_LARGER),
        stage="report",
    ),
    Action(
        "larger_brief",
        "应对情况以简报形式报总局领导",
        owners=("personnel_dept",),
        channel="written_report",
        condition=GRADE_IS_LARGER,
        deadline=no_deadline("action_done:larger_approval"),
        clause=Clause("五(一)2", _C_LARGER),
        stage="report",
    ),
    Action(
        "major_phone_report",
        "立即电话报告人事司(宣教办)",
        owners=("opinion_office",),
        channel="phone",
        condition=MAJOR_OR_ABOVE,
        deadline=immediately("discovered"),
        clause=Clause("五(一)3", _C_MAJOR),
        stage="report",
    ),
    Action(
        "major_activate_plan",
        "同时启动舆情应急预案",
        owners=("opinion_office",),
        channel="internal",
        condition=MAJOR_OR_ABOVE,
        deadline=immediately("discovered"),
        clause=Clause("五(一)3", _C_MAJOR),
        stage="report",
    ),
    Action(
        "major_special_report",
        "起草舆情专报，经人事司(宣教办)报总局主要领导和分管领导批示",
        owners=("opinion_office", "personnel_dept"),
        channel="written_report",
        condition=MAJOR_OR_ABOVE,
        deadline=no_deadline("discovered"),
        clause=Clause("五(一)3", _C_MAJOR),
        stage="report",
    ),
    Action(
        "major_notify_units",
        "需要其他单位配合支持的，同时通报相关单位",
        owners=("opinion_office",),
        channel="notice",
        condition=all_of(MAJOR_OR_ABOVE, fact("needs_support").eq(True)),
        deadline=immediately("discovered"),
        clause=Clause("五(一)3", _C_MAJOR),
        stage="report",
    ),
    Action(
        "accident_notify_duty_office",
        "立即通知总局总值班室(刚发生的较大以上生产安全事故)",
        owners=("opinion_office",),
        channel="notice",
        condition=fact("new_accident_grade") >= "larger",
        deadline=immediately("discovered"),
        clause=Clause("五(一)4", "舆情处发现刚发生的较大以上生产安全事故,应立即通知总局总值班室。"),
        stage="report",
    ),
    # 五(二) 监测舆情
    Action(
        "monitor_until_subsided",
        "持续跟踪监测舆情发展动向，直至舆情平息为止",
        owners=("opinion_office",),
        channel="monitoring",
        condition=ANY_GRADE,
        deadline=until("discovered", "subsided"),
        clause=Clause("五(二)", "舆情确认后,舆情处应持续跟踪监测舆情发展动向,直至舆情平息为止。"),
        stage="monitor",
    ),
    Action(
        "report_worsening",
        "发现舆情发酵、影响面扩大等不良趋势时及时报告人事司(宣教办)",
        owners=("opinion_office",),
        channel="unspecified",
        condition=event_seen("worsening"),
        deadline=promptly("worsening"),
        clause=Clause(
            "五(二)",
            "在跟踪监测过程中发现有舆情发酵、影响面不断扩大等不良发展趋势时,要及时报告人事司(宣教办)。",
        ),
        stage="monitor",
    ),
    # 五(三) 会商措施
    Action(
        "consult_general",
        "组织会商，研判潜在风险，提出应对意见并进行回应",
        owners=("relevant_units",),
        channel="meeting",
        condition=GRADE_IS_GENERAL,
        deadline=no_deadline("discovered"),
        clause=Clause(
            "五(三)1",
            "1.一般网络舆情。由相关业务司局和单位负责组织进行会商,研判舆情潜在风险,提出应对意见并进行回应。",
        ),
        stage="consult",
    ),
    Action(
        "consult_larger",
        "组织相关单位会商，提出回应方式应对意见，报总局分管领导审定后实施",
        owners=("personnel_dept", "relevant_units"),
        channel="meeting",
        condition=GRADE_IS_LARGER,
        deadline=no_deadline("discovered"),
        clause=Clause(
            "五(三)2",
            "2.较大网络舆情。由人事司(宣教办)负责组织相关单位进行会商,研究提出回应方式应对意见,报总局分管领导审定后实施。",
        ),
        stage="consult",
    ),
    Action(
        "consult_major",
        "分管领导牵头召开舆情应对会，拟定应对方案",
        owners=("leader_in_charge", "relevant_units"),
        channel="meeting",
        condition=MAJOR_OR_ABOVE,
        deadline=no_deadline("discovered"),
        clause=Clause(
            "五(三)3",
            "3.重大以上舆情。由总局分管领导牵头,组织相关业务司局和单位召开舆情应对会,根据舆情反映的事件性质和研判结果,研究提出舆情处理措施,拟定应对方案。",
        ),
        stage="consult",
    ),
    Action(
        "implement_major_plan",
        "负责应对方案的具体实施",
        owners=("personnel_dept",),
        channel="internal",
        condition=MAJOR_OR_ABOVE,
        deadline=no_deadline("action_done:consult_major"),
        clause=Clause("五(三)3", "由人事司(宣教办)负责应对方案的具体实施。"),
        stage="respond",
    ),
    # 五(四) 回应舆情, by handling category
    Action(
        "respond_suggestion",
        "研究提出回应意见，及时跟帖回复",
        owners=("relevant_units",),
        channel="web_post",
        condition=category("suggestion"),
        deadline=promptly("discovered"),
        clause=Clause(
            "五(四)1", "对与安全生产工作密切相关的意见、建议,可研究提出回应意见,及时跟帖回复。"
        ),
        stage="respond",
    ),
    Action(
        "respond_criticism",
        "及时跟帖回应，表明态度，主动道歉，公开处理结果",
        owners=("relevant_units",),
        channel="web_post",
        condition=category("valid_criticism"),
        deadline=promptly("discovered"),
        clause=Clause(
            "五(四)2",
            "对反映安全生产工作问题情况属实的,或有一定根据的批评性舆情,要以解决反映的问题为重点,直面问题,勇担责任,及时跟帖回应,表明态度,主动道歉,公开处理结果,理顺和稳定公众情绪,扭转不利导向。",
        ),
        stage="respond",
    ),
    Action(
        "respond_tip",
        "及时回应，跟踪深挖线索，及时公开事实真相和处理结果",
        owners=("relevant_units",),
        channel="web_post",
        condition=category("vague_tip"),
        deadline=promptly("discovered"),
        clause=Clause(
            "五(四)3",
            "对带有举报性质,但线索不明晰的舆情,相关单位要及时回应,跟踪深挖线索,严查违法违规行为,给社会公众一个明确解决问题的预期,及时公开事实真相和处理结果。",
        ),
        stage="respond",
    ),
    Action(
        "refute_rumour",
        "及时、客观、准确地发布事实真相，公开辟谣，澄清事实",
        owners=("relevant_units", "website_office"),
        channel="press_release",
        condition=category("false_harmful"),
        deadline=promptly("discovered"),
        clause=Clause(
            "五(四)4",
            "对内容严重失实、恶意中伤、严重误导社会认知的有害信息,要力争及时、客观、准确地发布事实真相,公开辟谣,澄清事实,提请有关网站对不实信息或谣言进行删除、覆盖等操作,消除不良影响。",
        ),
        stage="respond",
    ),
    Action(
        "request_takedown",
        "提请有关网站对不实信息或谣言进行删除、覆盖等操作",
        owners=("relevant_units",),
        channel="notice",
        condition=category("false_harmful"),
        deadline=no_deadline("discovered"),
        clause=Clause("五(四)4", "提请有关网站对不实信息或谣言进行删除、覆盖等操作,消除不良影响。"),
        stage="respond",
    ),
    Action(
        "clarify_hype",
        "及时澄清事实真相，舒缓公众情绪，从源头上控制信息传播",
        owners=("relevant_units",),
        channel="press_release",
        condition=category("malicious_hype"),
        deadline=promptly("discovered"),
        clause=Clause(
            "五(四)5",
            "对蓄意破坏、恶意反复炒作,可能引发舆情发酵的信息,要及时澄清事实真相,舒缓社会公众的情绪。要注重从源头上控制信息的进一步传播,平息事态。",
        ),
        stage="respond",
    ),
    Action(
        "refer_to_cyber_police",
        "报请网络安全监察机关依法予以处置",
        owners=("personnel_dept",),
        channel="legal",
        condition=any_of(category("malicious_hype"), fact("suspected_crime").eq(True)),
        deadline=no_deadline("discovered"),
        clause=Clause("四(四)", "对恶意炒作、涉嫌违法犯罪的,报请网络安全监察机关依法予以处置。"),
        stage="respond",
    ),
    # 五(五) 消除影响 (after the incident subsides)
    Action(
        "aftermath_contact_poster",
        "直接与网站或首发信息人沟通，了解发布原由，化解矛盾，促成主动删帖",
        owners=("relevant_units",),
        channel="in_person",
        condition=GRADE_IS_GENERAL,
        deadline=no_deadline("subsided"),
        clause=Clause(
            "五(五)1",
            "舆情事件平息后,相关单位应做好善后工作。……1.一般网络舆情。应直接与网站或首发信息人沟通,了解其发布原由,及时化解有关矛盾,促成其主动删帖。",
        ),
        stage="subside",
    ),
    Action(
        "aftermath_local_help",
        "请当地相关部门协助处理清除重大的恶意网络负面信息",
        owners=("relevant_units",),
        channel="notice",
        condition=all_of(
            MAJOR_OR_ABOVE, any_of(category("malicious_hype"), category("false_harmful"))
        ),
        deadline=no_deadline("subsided"),
        clause=Clause("五(五)2", "2.对于重大的恶意网络负面信息,请当地相关部门协助处理清除"),
        stage="subside",
    ),
    Action(
        "aftermath_legal_statement",
        "利用法律手段，发表法律声明，敦促删除不实信息",
        owners=("relevant_units",),
        channel="legal",
        condition=category("false_harmful"),
        deadline=no_deadline("subsided"),
        clause=Clause(
            "五(五)2",
            "对于恶意诋毁的信息,应利用法律手段,发表法律声明,强调追究法律责任,敦促删除不实信息。",
        ),
        stage="subside",
    ),
    Action(
        "aftermath_prosecute",
        "涉嫌犯罪的，依法予以追究",
        owners=("relevant_units",),
        channel="legal",
        condition=fact("suspected_crime").eq(True),
        deadline=no_deadline("subsided"),
        clause=Clause("五(五)2", "涉嫌犯罪的,依法予以追究。"),
        stage="subside",
    ),
    # 六 后续处理
    Action(
        "report_reply_doubts",
        "继续收集跟踪，向人事司(宣教办)汇总报告网民对回复提出的质疑",
        owners=("opinion_office",),
        channel="unspecified",
        condition=event_seen("reply_doubted"),
        deadline=no_deadline("reply_doubted"),
        clause=Clause(
            "六(一)",
            "继续跟踪。舆情处继续收集跟踪舆情,掌握网络舆论的演化过程,向人事司(宣教办)汇总报告网民对回复提出的质疑。",
        ),
        stage="guide",
    ),
    Action(
        "follow_up_guidance",
        "及时研究后续回应意见，对网络言论进行正面引导",
        owners=("personnel_dept",),
        channel="web_post",
        condition=event_seen("reply_doubted"),
        deadline=promptly("reply_doubted"),
        clause=Clause(
            "六(二)",
            "继续引导。人事司(宣教办)要及时研究后续回应意见,对网络出现的言论进行正面引导。",
        ),
        stage="guide",
    ),
    Action(
        "keep_contact_with_poster",
        "保持与首发信息人的沟通，直至舆情事件彻底平息",
        owners=("relevant_units",),
        channel="in_person",
        condition=ANY_GRADE,
        deadline=until("discovered", "subsided"),
        clause=Clause(
            "六(三)",
            "继续沟通。相关单位要保持与首发信息人的沟通,争取通过良好沟通最终达成舆情事件彻底平息。",
        ),
        stage="guide",
    ),
    Action(
        "summary_evaluation",
        "对处置情况、经验教训进行总结，提出改进工作意见",
        owners=("personnel_dept", "relevant_units"),
        channel="written_report",
        condition=ANY_GRADE,
        deadline=no_deadline("subsided"),
        clause=Clause(
            "六(四)",
            "总结评估。舆情事件处置工作结束后,应针对舆情危机中暴露出来的问题,对整个舆情事件的处置情况、经验教训进行总结,提出改进工作意见。",
        ),
        stage="review",
    ),
)

EVENTS = (
    EventSpec("worsening", "舆情发展变化"),
    EventSpec("reply_doubted", "网民对回复提出质疑"),
    EventSpec("subsided", "舆情平息"),
)

# 五(一)2: the 较大 report runs from one step's completion to the next.
CHAINS = (
    ReportChain(
        "larger_chain",
        "较大网络舆情逐级报告、定性、审批",
        hops=("larger_report", "larger_characterise", "larger_approval"),
        clause=Clause(
            "五(一)2",
            "2.较大网络舆情。舆情处发现后要及时报告人事司(宣教办),由人事司(宣教办)会同相关单位作出定性并提出应急处置意见,报总局分管领导批准后实施有效应对。应对情况要以简报形式报总局领导。",
        ),
    ),
)

PLAN = Plan(
    id="work-safety",
    title="安全生产网络舆情应对预案",
    issuer="国家安全生产监督管理总局",
    version="2023-1",
    source=SOURCE,
    timezone="Asia/Shanghai",
    metrics=("clicks", "reposts"),
    measures=MEASURES,
    facts=FACTS,
    grades=GRADES,
    categories=CATEGORIES,
    principles=PRINCIPLES,
    roles=ROLES,
    actions=ACTIONS,
    events=EVENTS,
    chains=CHAINS,
)

__all__ = ["PLAN"]
