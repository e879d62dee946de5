// The screen as kioskd pushes it (docs/local-api.md, "The screen"), and what a
// renderer is given to draw it with: types for the checker (make check-page), no code.

/**
 * What every screen has: the page's mode and language, what was said, a message, the idle
 * warning, the staff call, and who is at the kiosk (masked).
 * @typedef {object} Frame
 * @property {string} screen
 * @property {boolean} elderly_mode
 * @property {boolean} elderly_offered
 * @property {"zh"|"en"} language
 * @property {boolean} online
 * @property {string} [prompt]
 * @property {number} speech
 * @property {string} [message]
 * @property {string} [notice]
 * @property {boolean} idle_warning
 * @property {number} [idle_seconds_left]
 * @property {boolean} staff_called
 * @property {string} [resident]
 * @property {string} [agent]
 * @property {string} [error]
 */

/** @typedef {{code: string, name: string, bundle: boolean, pictogram: string}} MenuLine */
/** @typedef {{kind: string, id: string, name: string, pictogram: string}} CategoryLine */
/** @typedef {{text: string, standing: string}} ConditionLine */
/** @typedef {{name: string, particulars: string, required: boolean}} GuideMaterial */
/**
 * @typedef {object} ServiceGuide
 * @property {string} code
 * @property {string} name
 * @property {string} pictogram
 * @property {ConditionLine[]} conditions
 * @property {GuideMaterial[]} materials
 * @property {number} promised_working_days
 * @property {number} statutory_working_days
 * @property {boolean} immediate
 * @property {string} fee
 * @property {string[]} delivery
 * @property {string[]} legal_basis
 * @property {string} consultation_phone
 * @property {string} complaint_phone
 */
/**
 * @typedef {object} FieldLine
 * @property {string} id
 * @property {string} label
 * @property {string} kind
 * @property {boolean} required
 * @property {string} value
 * @property {string} [problem]
 * @property {boolean} locked
 * @property {string[]} [options]
 * @property {string} [hint]
 */
/**
 * @typedef {object} MaterialLine
 * @property {string} id
 * @property {string} name
 * @property {boolean} required
 * @property {string} [notes]
 * @property {"needed"|"scanned"|"e_certificate"|"platform"} status
 * @property {number} pages
 * @property {boolean} platform_may_obtain
 * @property {string} [e_certificate]
 * @property {string[]} [thumbnails]
 */
/** @typedef {{tracking_number: string, service_name: string, applicant: string, status: string, detail?: string}} CaseLine */

/** @typedef {Frame & {out_of_service?: string}} AttractView */
/** @typedef {Frame & {menu: MenuLine[], categories?: CategoryLine[], heading?: string, query?: string}} BrowseView */
/** @typedef {Frame & {service: ServiceGuide}} GuideView */
/** @typedef {Frame & {ineligible: {reason: string, instead?: MenuLine}}} IneligibleView */
/** @typedef {Frame & {form: FieldLine[], certificate?: string}} FormView */
/** @typedef {Frame & {materials: MaterialLine[], scan_progress?: {page: number, percent: number}}} MaterialsView */
/** @typedef {Frame & {page: {material: string, name: string, index: number, pages: number, image: string}}} PageView */
/** @typedef {Frame & {missing: string[], reservation_dates: string[]}} IncompleteView */
/** @typedef {Frame & {service_name: string, answers: {label: string, value: string}[], materials: MaterialLine[], delivery: {options: string[], chosen?: string, postal_address?: string}}} ReviewView */
/**
 * @typedef {Frame & {receipt: {status: string, case_number?: string, tracking_number: string, service_name: string, applicant: string, submitted_at: string, promise: string,
 *   delivery: string, postal_address?: string, tracking_url: string, materials: string[], form_for_signature: boolean}}} ReceiptView
 */
/** @typedef {Frame & {rating: {level?: number, reasons: string[], chosen: string[], comment_limit: number}}} RatingView */
/** @typedef {Frame & {cases: CaseLine[]}} CasesView */
/** @typedef {Frame & {consultation_kind: string}} ConsultationView */
/** @typedef {Frame & {reference: string}} ConsultationSentView */
/**
 * Any screen: the renderer its `screen` names knows which it is.
 * @typedef {Frame & Record<string, any>} View
 */

/** @typedef {{type: string} & Record<string, unknown>} Touch */
/** @typedef {Node|string|null|undefined|false} Part */
/** @typedef {Part|Part[]} Parts */

/**
 * What a renderer draws with: the words, the touches, and the page's widgets, made for this screen.
 * @typedef {object} Context
 * @property {(key: string, values?: Record<string, unknown>) => string} t  a string of the screen's language
 * @property {(touch: Touch) => void} send  sends a touch to kioskd
 * @property {boolean} elderly  elderly mode: larger, one thing at a time, at most four choices
 * @property {"zh"|"en"} language
 * @property {(tag: string, attributes?: Record<string, unknown>|null, ...children: Parts[]) => HTMLElement} el
 * @property {(name: string) => SVGSVGElement} picture
 * @property {(text: string, touch: Touch|null, kind?: string, pictogram?: string) => HTMLButtonElement} button
 * @property {(text: string, touch: Touch, pictogram: string) => HTMLButtonElement} tile
 * @property {(...nodes: Parts[]) => HTMLElement} tiles
 * @property {(entry: MenuLine) => HTMLButtonElement} entryTile
 * @property {(...nodes: Parts[]) => HTMLElement} actions
 * @property {() => HTMLButtonElement} back
 * @property {(text?: string, touch?: Touch) => HTMLButtonElement} next
 * @property {() => HTMLButtonElement} end
 * @property {(text: string, touch: Touch, chosen: boolean, role?: string, pictogram?: string) => HTMLButtonElement} option
 * @property {(group: string, nodes: HTMLElement[], room?: number) => HTMLElement[]} few
 * @property {(input: HTMLInputElement|HTMLTextAreaElement, layout: string, done: (value: string) => void, extra?: string) => HTMLElement[]} typed
 * @property {() => void} closeKeyboards
 * @property {(index: number) => void} openKeyboard  opens the keyboard of the screen's field at this place
 */

export {};
