/// The screens of the eligibility check (ConditionsCheck.swift): the
/// conditions no card answers, and why an applicant may not apply. The page
/// draws them in ui/screens/conditions-check.js.

/// The conditions no card can answer, each confirmed yes or no; those the card answered are shown checked.
public struct ConditionsScreen: ScreenPayload {
    public var name: ScreenView.Name { .conditions }
    /// The guide, its conditions' standings among it (`confirm_condition` names a condition by its place there).
    public var service: ServiceGuide
}

/// The applicant does not meet a condition: why, and what to do instead.
public struct IneligibleScreen: ScreenPayload {
    public var name: ScreenView.Name { .ineligible }
    public var ineligible: IneligibleReason
}

/// Why the applicant cannot apply (also the prompt), and another item to apply for instead, if the catalogue names one.
public struct IneligibleReason: Sendable, Equatable, Encodable {
    public var reason: String
    public var instead: MenuLine?
}
