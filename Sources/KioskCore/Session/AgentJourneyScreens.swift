/// The screens of a station agent's part (AgentJourney.swift): the PIN, the
/// console, the station's cases, a resident's consent, an enterprise's code.
/// The agent and the resident are in every screen's frame. The page draws them
/// in ui/screens/agent-journey.js.

/// An agent card was presented: its PIN is asked.
public struct AgentPINScreen: ScreenPayload {
    public var name: ScreenView.Name { .agentPIN }
}

/// The agent's console: serve a resident (their card), an enterprise, the station's cases, log out.
public struct AgentConsoleScreen: ScreenPayload {
    public var name: ScreenView.Name { .agentConsole }
}

/// The station's cases, each to reprint its receipt.
public struct StationCasesScreen: ScreenPayload {
    public var name: ScreenView.Name { .stationCases }
    public var cases: [CaseLine]
}

/// The resident's card has been read: they consent to the agent handling their matter.
public struct ProxyConsentScreen: ScreenPayload {
    public var name: ScreenView.Name { .proxyConsent }
}

/// An enterprise's unified social credit code and name, typed by the agent.
public struct EnterpriseScreen: ScreenPayload {
    public var name: ScreenView.Name { .enterprise }
}
