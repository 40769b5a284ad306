/*
 * Hotline web chat widget: vanilla JavaScript, no dependencies, no CDN.
 *
 * Embed with one tag (see docs/WEBCHAT.md):
 *   <script src="https://bot.example.com/webchat/widget.js" defer
 *           data-title="在线客服" data-primary-color="#c0392b"
 *           data-hotline-number="400-800-1234"></script>
 *
 * Talks to the server through a small Socket.IO (protocol 5, Engine.IO 4)
 * client over WebSocket. Everything received from the server is rendered with
 * textContent, never as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.HotlineWebchat) {
    return;
  }

  // ------------------------------------------------------------------ texts
  var TEXT = {
    title: "在线客服",
    launcher: "在线客服",
    open: "打开在线客服",
    close: "关闭",
    send: "发送",
    placeholder: "请输入您的问题,按 Enter 发送",
    limits: "单条消息最多 {max} 字,每秒最多发送 {rate} 条",
    hotline: "客服热线 {number}",
    connecting: "正在连接客服…",
    reconnecting: "连接已断开,正在重连…",
    unreachable: "暂时无法连接到客服服务器,请检查网络后点击重试。",
    unreachableHotline: "您也可以拨打客服热线 {number}。",
    retry: "重试",
    typing: "客服正在输入…",
    notSent: "未发送",
    tooLong: "您的消息超过了 {max} 字,请分段发送。",
    tooFast: "您发送得太快了,每秒最多 {rate} 条,请稍后再发送。",
    offline: "连接已断开,消息暂未发送,请在重新连接后再发送。",
    handoff: "正在为您转接人工客服,接下来将由客服人员为您服务。",
    handoffPriority: "已为您优先转接人工客服,接下来将由客服人员为您服务。",
    ticket: "工单号:{id}",
    handback: "人工客服服务已结束,智能客服继续为您服务。",
    takeover: "人工客服 {name} 已接入,正在为您服务。",
    agent: "人工客服 {name}",
    ended: "本次会话已结束。如需继续咨询,请直接输入您的问题。",
    newSession: "新的会话",
    failed: "消息发送失败,请稍后再试。"
  };

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  // ---------------------------------------------------------------- options
  function readOptions(tag) {
    var data = tag.dataset;
    var src = new URL(tag.src, location.href);
    var server = data.server ? new URL(data.server, location.href) : src;
    var socketPath = data.socketPath || "/webchat/socket.io/";
    if (socketPath.charAt(socketPath.length - 1) !== "/") {
      socketPath += "/";
    }
    return {
      origin: server.origin,
      socketUrl: server.origin.replace(/^http/, "ws") + socketPath + "?EIO=4&transport=websocket",
      namespace: data.namespace || "",
      cssUrl: data.css || src.origin + src.pathname.replace(/[^/]*$/, "widget.css"),
      title: data.title || "",
      hotlineNumber: data.hotlineNumber || "",
      mode: data.mode === "fullpage" ? "fullpage" : "launcher",
      open: data.open === "true",
      colors: {
        "--hw-primary": data.primaryColor,
        "--hw-primary-text": data.primaryTextColor,
        "--hw-user-bubble": data.userBubbleColor,
        "--hw-bot-bubble": data.botBubbleColor,
        "--hw-background": data.backgroundColor
      },
      storageKey: "hotline-webchat:" + (data.storageKey || server.origin)
    };
  }

  var options = readOptions(script);

  // ---------------------------------------------------------------- storage
  var memoryStore = {};
  var store = {
    get: function (key) {
      try {
        return window.localStorage.getItem(key);
      } catch (e) {
        return memoryStore[key] || null;
      }
    },
    set: function (key, value) {
      try {
        window.localStorage.setItem(key, value);
      } catch (e) {
        memoryStore[key] = value;
      }
    },
    remove: function (key) {
      try {
        window.localStorage.removeItem(key);
      } catch (e) {
        delete memoryStore[key];
      }
    }
  };
  var SESSION_KEY = options.storageKey + ":session";
  var OPEN_KEY = options.storageKey + ":open";

  // ------------------------------------------------- minimal Socket.IO client
  // Engine.IO 4 packets: 0 open, 1 close, 2 ping, 3 pong, 4 message.
  // Socket.IO 5 packets (inside "4"): 0 connect, 1 disconnect, 2 event, 3 ack,
  // 4 connect error.
  function SioClient(url, namespace, handlers) {
    this.url = url;
    this.nsp = namespace && namespace !== "/" ? namespace : "";
    this.handlers = handlers;
    this.ws = null;
    this.acks = {};
    this.ackId = 0;
    this.connected = false;
    this.closed = false;
    this.watchdog = null;
    this.deadline = 45000;
  }

  SioClient.prototype.open = function () {
    var self = this;
    var ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      setTimeout(function () { self.close("error"); }, 0);
      return;
    }
    this.ws = ws;
    this.watch(10000); // the handshake must arrive within 10 s
    ws.onmessage = function (event) {
      if (self.ws === ws) {
        try {
          self.onPacket(String(event.data));
        } catch (e) {
          self.close("protocol error");
        }
      }
    };
    ws.onclose = function () {
      if (self.ws === ws) {
        self.close("transport close");
      }
    };
  };

  SioClient.prototype.prefix = function (type) {
    return "4" + type + (this.nsp ? this.nsp + "," : "");
  };

  SioClient.prototype.raw = function (data) {
    if (this.ws && this.ws.readyState === 1) {
      this.ws.send(data);
    }
  };

  SioClient.prototype.watch = function (ms) {
    var self = this;
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(function () { self.close("ping timeout"); }, ms);
  };

  SioClient.prototype.onPacket = function (data) {
    var type = data.charAt(0);
    if (type === "0") {
      var handshake = JSON.parse(data.slice(1));
      this.deadline = (handshake.pingInterval || 25000) + (handshake.pingTimeout || 20000);
      this.watch(this.deadline);
      this.raw(this.prefix("0"));
    } else if (type === "2") {
      this.raw("3");
      this.watch(this.deadline);
    } else if (type === "1") {
      this.close("server close");
    } else if (type === "4") {
      this.onMessage(data.slice(1));
    }
  };

  SioClient.prototype.onMessage = function (packet) {
    var type = packet.charAt(0);
    var i = 1;
    if (packet.charAt(i) === "/") {
      var comma = packet.indexOf(",", i);
      var nsp = comma < 0 ? packet.slice(i) : packet.slice(i, comma);
      i = comma < 0 ? packet.length : comma + 1;
      if (nsp !== (this.nsp || "/")) {
        return;
      }
    }
    var id = "";
    while (i < packet.length && packet.charAt(i) >= "0" && packet.charAt(i) <= "9") {
      id += packet.charAt(i);
      i += 1;
    }
    var payload = i < packet.length ? JSON.parse(packet.slice(i)) : null;
    if (type === "0") {
      this.connected = true;
      this.handlers.onConnect();
    } else if (type === "4") {
      this.close("refused");
    } else if (type === "1") {
      this.close("server disconnect");
    } else if (type === "2" && payload instanceof Array) {
      this.handlers.onEvent(payload[0], payload[1]);
    } else if (type === "3") {
      var pending = this.acks[id];
      if (pending) {
        delete this.acks[id];
        clearTimeout(pending.timer);
        pending.callback(payload instanceof Array ? payload[0] : null);
      }
    }
  };

  SioClient.prototype.emit = function (name, data, callback, timeoutMs) {
    var self = this;
    if (!this.connected) {
      if (callback) {
        callback({ ok: false, error: "disconnected" });
      }
      return false;
    }
    var id = "";
    if (callback) {
      this.ackId += 1;
      id = String(this.ackId);
      this.acks[id] = {
        callback: callback,
        timer: setTimeout(function () {
          var pending = self.acks[id];
          if (pending) {
            delete self.acks[id];
            pending.callback({ ok: false, error: "timeout" });
          }
        }, timeoutMs || 30000)
      };
    }
    this.raw(this.prefix("2") + id + JSON.stringify([name, data]));
    return true;
  };

  SioClient.prototype.close = function (reason) {
    if (this.closed) {
      return;
    }
    this.closed = true;
    clearTimeout(this.watchdog);
    var wasConnected = this.connected;
    this.connected = false;
    var ws = this.ws;
    this.ws = null;
    if (ws) {
      try {
        ws.close();
      } catch (e) { /* already closed */ }
    }
    var acks = this.acks;
    this.acks = {};
    Object.keys(acks).forEach(function (key) {
      clearTimeout(acks[key].timer);
      acks[key].callback({ ok: false, error: "disconnected" });
    });
    this.handlers.onDisconnect(reason, wasConnected);
  };

  // -------------------------------------------------------------------- DOM
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function formatTime(seconds) {
    var date = new Date(typeof seconds === "number" ? seconds * 1000 : Date.now());
    var now = new Date();
    var clock = pad(date.getHours()) + ":" + pad(date.getMinutes());
    if (date.toDateString() === now.toDateString()) {
      return clock;
    }
    return (date.getMonth() + 1) + "月" + date.getDate() + "日 " + clock;
  }

  var host = el("div");
  host.id = "hotline-webchat";
  host.setAttribute("data-mode", options.mode);
  Object.keys(options.colors).forEach(function (name) {
    var value = options.colors[name];
    if (value && window.CSS && CSS.supports("color", value)) {
      host.style.setProperty(name, value);
    }
  });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var stylesheet = el("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = options.cssUrl;
  var frame = el("div", "hw");
  frame.hidden = true;
  function reveal() { frame.hidden = false; }
  stylesheet.onload = reveal;
  stylesheet.onerror = reveal;
  setTimeout(reveal, 3000);

  var launcher = el("button", "hw-launcher", TEXT.launcher);
  launcher.type = "button";
  launcher.setAttribute("aria-label", TEXT.open);
  var badge = el("span", "hw-badge");
  badge.hidden = true;
  launcher.appendChild(badge);

  var panel = el("section", "hw-panel");
  panel.setAttribute("role", "dialog");
  var header = el("header", "hw-header");
  var titles = el("div", "hw-titles");
  var titleNode = el("div", "hw-title");
  var hotlineNode = el("a", "hw-hotline");
  titles.appendChild(titleNode);
  titles.appendChild(hotlineNode);
  var dot = el("span", "hw-dot");
  dot.setAttribute("aria-hidden", "true");
  var closeButton = el("button", "hw-close", "×");
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", TEXT.close);
  header.appendChild(dot);
  header.appendChild(titles);
  header.appendChild(closeButton);

  var status = el("div", "hw-status");
  status.setAttribute("role", "status");
  status.hidden = true;
  var statusText = el("span", "hw-status-text");
  var retryButton = el("button", "hw-retry", TEXT.retry);
  retryButton.type = "button";
  retryButton.hidden = true;
  status.appendChild(statusText);
  status.appendChild(retryButton);

  var log = el("div", "hw-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var messages = el("div", "hw-messages");
  var typing = el("div", "hw-typing");
  typing.hidden = true;
  typing.appendChild(el("span", "hw-typing-dots"));
  typing.appendChild(el("span", "hw-typing-text", TEXT.typing));
  log.appendChild(messages);
  log.appendChild(typing);

  var replies = el("div", "hw-replies");
  replies.hidden = true;

  var composer = el("form", "hw-composer");
  var input = el("textarea", "hw-input");
  input.rows = 1;
  input.placeholder = TEXT.placeholder;
  input.setAttribute("aria-label", TEXT.placeholder);
  var sendButton = el("button", "hw-send", TEXT.send);
  sendButton.type = "submit";
  composer.appendChild(input);
  composer.appendChild(sendButton);

  var hint = el("div", "hw-hint");
  var limitsNode = el("span", "hw-limits");
  var counter = el("span", "hw-counter");
  hint.appendChild(limitsNode);
  hint.appendChild(counter);

  panel.appendChild(header);
  panel.appendChild(status);
  panel.appendChild(log);
  panel.appendChild(replies);
  panel.appendChild(composer);
  panel.appendChild(hint);
  frame.appendChild(launcher);
  frame.appendChild(panel);
  root.appendChild(stylesheet);
  root.appendChild(frame);

  // ------------------------------------------------------------------ state
  var state = {
    conn: "idle", // idle | connecting | online | reconnecting | unreachable
    client: null,
    everConnected: false,
    failures: 0,
    reconnectTimer: null,
    sessionId: store.get(SESSION_KEY),
    ready: false, // session confirmed on the current connection
    ended: false,
    handoff: false,
    pending: 0,
    sent: [],
    idleTimer: null,
    idleSent: false,
    open: false,
    unread: 0,
    config: {
      title: options.title || TEXT.title,
      hotline_number: options.hotlineNumber,
      max_message_chars: 2000,
      max_messages_per_second: 5,
      idle_timeout_s: 300
    }
  };

  function applyConfig(serverConfig) {
    var config = state.config;
    if (serverConfig && typeof serverConfig === "object") {
      ["max_message_chars", "max_messages_per_second", "idle_timeout_s"].forEach(function (key) {
        if (typeof serverConfig[key] === "number" && serverConfig[key] > 0) {
          config[key] = serverConfig[key];
        }
      });
      if (!options.title && typeof serverConfig.title === "string" && serverConfig.title) {
        config.title = serverConfig.title;
      }
      if (!options.hotlineNumber && typeof serverConfig.hotline_number === "string") {
        config.hotline_number = serverConfig.hotline_number;
      }
    }
    titleNode.textContent = config.title;
    panel.setAttribute("aria-label", config.title);
    hotlineNode.hidden = !config.hotline_number;
    hotlineNode.textContent = fill(TEXT.hotline, { number: config.hotline_number });
    hotlineNode.href = "tel:" + config.hotline_number.replace(/[^0-9+]/g, "");
    input.maxLength = config.max_message_chars;
    limitsNode.textContent = fill(TEXT.limits, {
      max: config.max_message_chars,
      rate: config.max_messages_per_second
    });
    updateCounter();
  }

  function updateCounter() {
    counter.textContent = input.value.length + "/" + state.config.max_message_chars;
  }

  // ------------------------------------------------------------- rendering
  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function addMessage(role, text, timestamp, agent) {
    var item = el("div", "hw-msg hw-" + role);
    item.setAttribute("data-role", role);
    if (role === "bot" && typeof agent === "string" && agent) {
      // a line typed by a person in the agent console (take-over)
      item.classList.add("hw-from-agent");
      item.setAttribute("data-agent", agent);
      item.appendChild(el("div", "hw-agent", fill(TEXT.agent, { name: agent })));
    }
    item.appendChild(el("div", "hw-bubble", text));
    var time = el("time", "hw-time", formatTime(timestamp));
    item.appendChild(time);
    messages.appendChild(item);
    scrollDown();
    return item;
  }

  function addNotice(kind, text) {
    var item = el("div", "hw-notice hw-notice-" + kind, text);
    item.setAttribute("data-notice", kind);
    messages.appendChild(item);
    scrollDown();
    return item;
  }

  function markFailed(item, reason) {
    if (!item) {
      return;
    }
    item.classList.add("hw-failed");
    item.appendChild(el("span", "hw-failed-label", reason || TEXT.notSent));
  }

  function showReplies(list) {
    replies.textContent = "";
    var valid = (list instanceof Array ? list : []).filter(function (reply) {
      return reply && typeof reply.title === "string" && typeof reply.payload === "string";
    });
    valid.forEach(function (reply) {
      var button = el("button", "hw-reply", reply.title);
      button.type = "button";
      button.addEventListener("click", function () {
        sendMessage(reply.title, reply.title, reply.payload);
      });
      replies.appendChild(button);
    });
    replies.hidden = valid.length === 0;
    scrollDown();
  }

  function setTyping() {
    typing.hidden = state.pending <= 0;
    if (!typing.hidden) {
      scrollDown();
    }
  }

  function controlNotice(event) {
    if (event.event === "handoff") {
      var text = event.priority === true ? TEXT.handoffPriority : TEXT.handoff;
      if (typeof event.ticket_id === "string" && event.ticket_id) {
        text += " " + fill(TEXT.ticket, { id: event.ticket_id });
      }
      return ["handoff", text];
    }
    if (event.event === "takeover") {
      var name = typeof event.agent === "string" ? event.agent : "";
      return ["takeover", fill(TEXT.takeover, { name: name }).replace("  ", " ")];
    }
    if (event.event === "handback") {
      return ["handback", TEXT.handback];
    }
    if (event.event === "end") {
      return ["end", TEXT.ended];
    }
    return null;
  }

  function applyControl(event, live) {
    var notice = controlNotice(event);
    if (!notice) {
      return;
    }
    addNotice(notice[0], notice[1]);
    if (event.event === "handoff" || event.event === "takeover") {
      state.handoff = true;
    } else if (event.event === "handback") {
      state.handoff = false;
    } else if (event.event === "end") {
      state.ended = true;
      showReplies([]);
    }
    if (live) {
      resetIdle();
    }
  }

  function renderHistory(history) {
    messages.textContent = "";
    state.ended = false;
    state.handoff = false;
    var lastReplies = [];
    (history instanceof Array ? history : []).forEach(function (entry) {
      if (!entry || typeof entry !== "object") {
        return;
      }
      lastReplies = [];
      if (entry.role === "event" && entry.event && typeof entry.event === "object") {
        applyControl(entry.event, false);
      } else if ((entry.role === "user" || entry.role === "bot") && typeof entry.text === "string") {
        if (state.ended) {
          // the conversation went on under the same id after it ended: a new session
          state.ended = false;
          addNotice("divider", TEXT.newSession);
        }
        addMessage(entry.role, entry.text, entry.timestamp, entry.agent);
        lastReplies = entry.quick_replies || [];
      }
    });
    showReplies(state.ended ? [] : lastReplies);
  }

  function onBotMessage(message) {
    if (!message || typeof message !== "object") {
      return;
    }
    if (message.system === true) {
      return; // refusals: this widget shows them from the acknowledgement instead
    }
    var custom = message.custom;
    if (custom && typeof custom === "object" && custom.hotline && typeof custom.hotline === "object") {
      applyControl(custom.hotline, true);
      return;
    }
    if (typeof message.text === "string" && message.text) {
      if (state.ended) {
        // the dialogue started a new session under the same id (e.g. after a restart)
        state.ended = false;
        state.idleSent = false;
        addNotice("divider", TEXT.newSession);
      }
      addMessage("bot", message.text, message.timestamp, message.agent);
      showReplies(message.quick_replies || message.buttons || []);
      if (!state.open) {
        state.unread += 1;
        badge.textContent = String(state.unread);
        badge.hidden = false;
      }
      resetIdle();
    }
  }

  // ------------------------------------------------------------ connection
  function setConn(conn) {
    state.conn = conn;
    dot.setAttribute("data-state", conn);
    var number = state.config.hotline_number;
    var text = "";
    if (conn === "connecting") {
      text = TEXT.connecting;
    } else if (conn === "reconnecting") {
      text = TEXT.reconnecting;
    } else if (conn === "unreachable") {
      text = TEXT.unreachable + (number ? fill(TEXT.unreachableHotline, { number: number }) : "");
    }
    statusText.textContent = text;
    status.setAttribute("data-state", conn);
    status.hidden = !text;
    retryButton.hidden = conn !== "unreachable";
    sendButton.disabled = conn !== "online";
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    if (state.client) {
      return;
    }
    if (state.conn !== "unreachable") {
      setConn(state.everConnected ? "reconnecting" : "connecting");
    }
    var client = new SioClient(options.socketUrl, options.namespace, {
      onConnect: function () {
        state.failures = 0;
        state.everConnected = true;
        setConn("online");
        requestSession(true, null);
      },
      onEvent: function (name, data) {
        if (name === "bot_uttered") {
          onBotMessage(data);
        }
      },
      onDisconnect: function () {
        state.client = null;
        state.ready = false;
        state.pending = 0;
        setTyping();
        state.failures += 1;
        // after three failed attempts in a row (about 3 s) say the server is unreachable;
        // keep retrying in the background
        var unreachable = state.failures >= 3;
        setConn(unreachable ? "unreachable" : state.everConnected ? "reconnecting" : "connecting");
        var delays = [1000, 2000, 4000, 8000, 15000];
        var delay = delays[Math.min(state.failures - 1, delays.length - 1)];
        state.reconnectTimer = setTimeout(connect, delay);
      }
    });
    state.client = client;
    client.open();
  }

  function requestSession(restore, done) {
    var client = state.client;
    if (!client) {
      return;
    }
    var requested = restore ? state.sessionId : null;
    client.emit("session_request", { session_id: requested || null }, function (ack) {
      if (client !== state.client) {
        return;
      }
      if (!ack || ack.ok !== true || typeof ack.session_id !== "string") {
        if (ack && ack.error === "invalid_session_id" && requested) {
          store.remove(SESSION_KEY);
          state.sessionId = null;
          requestSession(false, done);
        } else if (ack && ack.error !== "disconnected") {
          addNotice("system", ack.message || TEXT.failed);
        }
        return;
      }
      state.sessionId = ack.session_id;
      store.set(SESSION_KEY, ack.session_id);
      state.ready = true;
      applyConfig(ack.config);
      if (restore) {
        renderHistory(ack.history);
      }
      if (state.ended) {
        return; // a new message will start a new conversation
      }
      startSession(done);
    }, 15000);
  }

  function startSession(done) {
    var client = state.client;
    state.pending += 1;
    setTyping();
    client.emit("session_start", { session_id: state.sessionId }, function (ack) {
      state.pending = Math.max(0, state.pending - 1);
      setTyping();
      if (client !== state.client) {
        return;
      }
      if (ack && ack.ok === false && ack.error !== "disconnected") {
        addNotice("system", ack.message || TEXT.failed);
      }
      resetIdle();
      if (done) {
        done();
      }
    });
  }

  function newConversation(done) {
    state.ended = false;
    state.handoff = false;
    state.ready = false;
    store.remove(SESSION_KEY);
    state.sessionId = null;
    showReplies([]);
    addNotice("divider", TEXT.newSession);
    requestSession(false, done);
  }

  // --------------------------------------------------------------- sending
  function tooFast() {
    var now = Date.now();
    state.sent = state.sent.filter(function (t) { return now - t < 1000; });
    return state.sent.length >= state.config.max_messages_per_second;
  }

  // `payload`: a button's payload or the widget's own event; typed text is sent as
  // `message` only, and the server never reads it as a payload.
  function emitUserMessage(text, display, bubble, payload) {
    var client = state.client;
    var metadata = display ? { display_text: display } : {};
    var data = { message: text, session_id: state.sessionId, metadata: metadata };
    if (payload) {
      data.payload = payload;
    }
    if (!client) {
      markFailed(bubble);
      return;
    }
    state.pending += bubble ? 1 : 0;
    setTyping();
    client.emit("user_uttered", data,
      function (ack) {
        if (bubble) {
          state.pending = Math.max(0, state.pending - 1);
          setTyping();
        }
        if (ack && ack.ok === false && bubble) {
          markFailed(bubble);
          if (ack.error === "disconnected") {
            addNotice("system", TEXT.offline);
          } else {
            addNotice("system", typeof ack.message === "string" ? ack.message : TEXT.failed);
          }
        }
      }, 60000);
  }

  function sendMessage(text, display, payload) {
    text = String(text || "").trim();
    if (!text) {
      return false;
    }
    if (state.conn !== "online") {
      addNotice("system", TEXT.offline);
      return false;
    }
    if (!state.ready) {
      return false; // the session is being set up; the text stays in the box
    }
    if (text.length > state.config.max_message_chars) {
      addNotice("system", fill(TEXT.tooLong, { max: state.config.max_message_chars }));
      return false;
    }
    if (tooFast()) {
      addNotice("system", fill(TEXT.tooFast, { rate: state.config.max_messages_per_second }));
      return false;
    }
    state.sent.push(Date.now());
    state.idleSent = false;
    showReplies([]);
    if (state.ended) {
      newConversation(function () {
        var bubble = addMessage("user", display || text);
        emitUserMessage(text, display, bubble, payload);
      });
    } else {
      var bubble = addMessage("user", display || text);
      emitUserMessage(text, display, bubble, payload);
    }
    resetIdle();
    return true;
  }

  // ------------------------------------------------------------------ idle
  function resetIdle() {
    clearTimeout(state.idleTimer);
    var seconds = state.config.idle_timeout_s;
    if (state.ended || state.handoff || state.idleSent || !(seconds > 0)) {
      return;
    }
    state.idleTimer = setTimeout(onIdle, seconds * 1000);
  }

  function onIdle() {
    if (state.ended || state.handoff || state.idleSent) {
      return;
    }
    if (state.conn !== "online" || !state.ready) {
      resetIdle();
      return;
    }
    state.idleSent = true;
    emitUserMessage("idle", null, null, "/idle_timeout");
  }

  // ---------------------------------------------------------------- events
  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sendMessage(input.value, null)) {
      input.value = "";
      updateCounter();
      autoGrow();
    }
  });

  input.addEventListener("keydown", function (event) {
    var composing = event.isComposing || event.keyCode === 229;
    if (event.key === "Enter" && !event.shiftKey && !composing) {
      event.preventDefault();
      if (typeof composer.requestSubmit === "function") {
        composer.requestSubmit();
      } else {
        composer.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    }
  });

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }

  input.addEventListener("input", function () {
    updateCounter();
    autoGrow();
  });

  retryButton.addEventListener("click", function () {
    state.failures = 0;
    setConn(state.everConnected ? "reconnecting" : "connecting");
    connect();
  });

  window.addEventListener("online", function () {
    if (!state.client && state.open) {
      connect();
    }
  });

  function openPanel() {
    state.open = true;
    frame.setAttribute("data-open", "true");
    state.unread = 0;
    badge.hidden = true;
    if (options.mode === "launcher") {
      try {
        window.sessionStorage.setItem(OPEN_KEY, "1");
      } catch (e) { /* private mode */ }
    }
    if (!state.client) {
      connect();
    }
    setTimeout(function () { input.focus(); }, 0);
  }

  function closePanel() {
    if (options.mode === "fullpage") {
      return;
    }
    state.open = false;
    frame.setAttribute("data-open", "false");
    try {
      window.sessionStorage.removeItem(OPEN_KEY);
    } catch (e) { /* private mode */ }
    launcher.focus();
  }

  launcher.addEventListener("click", openPanel);
  closeButton.addEventListener("click", closePanel);

  // ------------------------------------------------------------------ start
  applyConfig(null);
  setConn("idle");
  function mount() {
    document.body.appendChild(host);
    var wasOpen = false;
    try {
      wasOpen = window.sessionStorage.getItem(OPEN_KEY) === "1";
    } catch (e) { /* private mode */ }
    if (options.mode === "fullpage" || options.open || wasOpen) {
      openPanel();
    } else {
      frame.setAttribute("data-open", "false");
    }
  }
  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }

  window.HotlineWebchat = {
    open: openPanel,
    close: closePanel,
    send: function (text) { return sendMessage(text, null); }
  };
})();
