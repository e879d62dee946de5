import Hummingbird
import Configuration
import Yams
import ServiceLifecycle
import Logging
