// Generated from web/openapi.json by `npm run api-types`: do not edit.
// The build fails when this file is out of date (`npm run api-types` again).

export interface paths {
    "/api/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List users */
        get: {
            parameters: {
                query?: {
                    /** @description only members of this group */
                    group_id?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            users?: components["schemas"]["User"][];
                        };
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unknown or repeated query parameter: each named in errors */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        /** Create a user */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["UserInput"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["User"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        /** Read a user */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["User"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        /** Change a user; fields left out keep their value */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["UserInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["User"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        post?: never;
        /** Delete a user */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Call flows (their draft or published version) transfer calls to the user; change them first */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["InUse"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        options?: never;
        head?: never;
        /** Same as PUT */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["UserInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["User"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        trace?: never;
    };
    "/api/v1/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List groups */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            groups?: components["schemas"]["Group"][];
                        };
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unknown or repeated query parameter: each named in errors */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        /** Create a group */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["GroupInput"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Group"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/groups/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        /** Read a group */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Group"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        /** Change a group; fields left out keep their value */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["GroupInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Group"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        post?: never;
        /** Delete a group */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Call flows (their draft or published version) transfer calls to the group; change them first */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["InUse"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        options?: never;
        head?: never;
        /** Same as PUT */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["GroupInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Group"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        trace?: never;
    };
    "/api/v1/registrations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Devices registered now: user, contact, source address, transport, user agent, expiry */
        get: {
            parameters: {
                query?: {
                    /** @description only this SIP username */
                    user?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            registrations?: components["schemas"]["Registration"][];
                        };
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unknown or repeated query parameter: each named in errors */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This document */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: 200 while SIP is being served, 503 with the reason when not */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description SIP is not being served */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who is signed in, and the session's CSRF token */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The session */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Session"];
                    };
                };
                /** @description Not signed in, or missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        /**
         * Sign in to the admin app
         * @description Sets the pbx_session cookie. Five failed attempts from one IP address within a minute lock that address out until the oldest ages out (429 with Retry-After).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["SignIn"];
                };
            };
            responses: {
                /** @description Signed in; the cookie is set */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Session"];
                    };
                };
                /** @description Wrong password */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input; each error names its field */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        /** Sign out */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Signed out; the cookie is cleared */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Not signed in, or missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in by cookie but the X-CSRF-Token header is missing or wrong */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/session/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Change the admin password
         * @description Once changed, PBX_ADMIN_TOKEN no longer signs in to the app (it stays a bearer token). Every other browser session is signed out.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["PasswordChange"];
                };
            };
            responses: {
                /** @description Changed */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Not signed in, or missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in by cookie but the X-CSRF-Token header is missing or wrong */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input; each error names its field */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List API tokens (never their secrets) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Tokens, newest first */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            tokens?: components["schemas"]["APIToken"][];
                        };
                    };
                };
                /** @description Not signed in, or missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unknown or repeated query parameter: each named in errors */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        /** Create an API token */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TokenInput"];
                };
            };
            responses: {
                /** @description Created; the secret is in token and is not shown again */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CreatedAPIToken"];
                    };
                };
                /** @description Not signed in, or missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in by cookie but the X-CSRF-Token header is missing or wrong */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input; each error names its field */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API token */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Revoked; the token stops working at once */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Not signed in, or missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Signed in by cookie but the X-CSRF-Token header is missing or wrong */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such token */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The admin web app (any path outside /api/ serves it) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The app's HTML */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description This binary was built without the app; the page says how to build it */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/numbers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List numbers */
        get: {
            parameters: {
                query?: {
                    /** @description a flow's id, or `none` for numbers no flow answers */
                    flow_id?: string;
                    type?: "local" | "mobile" | "toll_free";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            numbers?: components["schemas"]["ListedNumber"][];
                        };
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason; or an unknown or repeated query parameter, named in errors */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        /** Add a number */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["NumberInput"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Number"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/numbers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        /** Read a number */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Number"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        /** Change a number; fields left out keep their value */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["NumberInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Number"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        post?: never;
        /** Delete a number (and take it off its flow's draft) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        options?: never;
        head?: never;
        /** Same as PUT */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["NumberInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Number"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        trace?: never;
    };
    "/api/v1/flows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List flows */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            flows?: components["schemas"]["Flow"][];
                        };
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unknown or repeated query parameter: each named in errors */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        /** Create a flow from a draft document (enabled, not yet published) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["FlowDocument"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Flow"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flows/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        /** Read a flow: draft and published version side by side */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Flow"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        /**
         * Replace the draft with the whole document; calls keep running the published version
         * @description Every member of the document (name, description, numbers, states, connections) must be sent: one left out is refused with 422 naming it, and nothing changes. To change part of the draft, send PATCH.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["FlowDocument"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Flow"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        post?: never;
        /** Delete a flow and its history; its numbers are unlinked */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        options?: never;
        head?: never;
        /**
         * Change part of the draft with a JSON merge patch (RFC 7396)
         * @description Members sent replace the draft's; objects merge member by member; arrays (states, connections, numbers) are replaced whole; null removes a member. The merged draft is validated like a PUT body (422 by field). Content-Type application/merge-patch+json (application/json is accepted); any other answers 415 with Accept-Patch.
         */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/merge-patch+json": Record<string, never>;
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Flow"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Not a JSON merge patch */
                415: {
                    headers: {
                        "Accept-Patch"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        trace?: never;
    };
    "/api/v1/flows/{id}/draft": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        /** Read the draft document */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["FlowDocument"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        /**
         * Replace the draft with the whole document; calls keep running the published version
         * @description Every member of the document (name, description, numbers, states, connections) must be sent: one left out is refused with 422 naming it, and nothing changes. To change part of the draft, send PATCH.
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["FlowDocument"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Flow"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change part of the draft with a JSON merge patch (RFC 7396)
         * @description Members sent replace the draft's; objects merge member by member; arrays (states, connections, numbers) are replaced whole; null removes a member. The merged draft is validated like a PUT body (422 by field). Content-Type application/merge-patch+json (application/json is accepted); any other answers 415 with Accept-Patch.
         */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/merge-patch+json": Record<string, never>;
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Flow"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Not a JSON merge patch */
                415: {
                    headers: {
                        "Accept-Patch"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        trace?: never;
    };
    "/api/v1/flows/{id}/publish": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish the draft as the next version
         * @description Validates the draft in full; 422 lists every violation by field path (`states[2].ring_seconds`, `connections[4].to`, `numbers[0]`) and nothing changes. On success the draft becomes the published version (one above the last, kept in /versions) and its numbers are linked to the flow.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Flow"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flows/{id}/enable": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        get?: never;
        /** Enable or disable a flow */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        enabled: boolean;
                    };
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Flow"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flows/{id}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        /** Published versions, newest first */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            versions?: components["schemas"]["FlowVersion"][];
                        };
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unknown or repeated query parameter: each named in errors */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/trunks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List carrier trunks */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            trunks?: components["schemas"]["Trunk"][];
                        };
                    };
                };
                /** @description Unauthorized */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unknown or repeated query parameter: each named in errors */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        /** Add a carrier trunk */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TrunkInput"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Trunk"];
                    };
                };
                /** @description Unauthorized */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/trunks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        /** Read a trunk */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Trunk"];
                    };
                };
                /** @description No such trunk */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        /** Change a trunk; fields left out keep their value (the password too) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TrunkInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Trunk"];
                    };
                };
                /** @description No such trunk */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        /** Delete a trunk */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description No such trunk */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Numbers are reached through the trunk; move them to another trunk or clear their trunk_id first */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["InUse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Same as PUT */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TrunkInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Trunk"];
                    };
                };
                /** @description No such trunk */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/v1/calls": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the call history, newest first */
        get: {
            parameters: {
                query?: {
                    /** @description the owner's user id: who answered an incoming call, placed an outgoing one, or whose phone rang for a call missed by one user */
                    owner?: number;
                    type?: "incoming" | "outgoing" | "missed";
                    /** @description true: only the calls where the caller left a voicemail message; false: only the others */
                    voicemail?: boolean;
                    /** @description calls started at or after this RFC 3339 date-time, or this date (YYYY-MM-DD, UTC) */
                    from?: string;
                    /** @description calls started before this RFC 3339 date-time, or on or before this date (YYYY-MM-DD, UTC; the whole day is included). Must be after `from`. */
                    to?: string;
                    limit?: number;
                    offset?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            calls?: components["schemas"]["CallRecord"][];
                            /** @description how many calls the filters select in all */
                            total?: number;
                        };
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason; or an unknown or repeated query parameter, named in errors */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/calls.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download the call history as CSV
         * @description Every call the filters select, newest first, as RFC 4180 CSV with a header row (the columns of CallRecord). Cells starting with = + - @ are prefixed with a single quote so that spreadsheets do not run them as formulas; plain +E.164 numbers are left as they are. Times are RFC 3339 in UTC; credits_charged is a decimal string of credits, as in CallRecord.
         */
        get: {
            parameters: {
                query?: {
                    /** @description the owner's user id: who answered an incoming call, placed an outgoing one, or whose phone rang for a call missed by one user */
                    owner?: number;
                    type?: "incoming" | "outgoing" | "missed";
                    /** @description true: only the calls where the caller left a voicemail message; false: only the others */
                    voicemail?: boolean;
                    /** @description calls started at or after this RFC 3339 date-time, or this date (YYYY-MM-DD, UTC) */
                    from?: string;
                    /** @description calls started before this RFC 3339 date-time, or on or before this date (YYYY-MM-DD, UTC; the whole day is included). Must be after `from`. */
                    to?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK; `Content-Disposition: attachment; filename="calls.csv"` */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/csv": string;
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason; or an unknown or repeated query parameter, named in errors */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/calls/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a call record */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CallRecord"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/calls/{id}/recording": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Stream a call's recording
         * @description The recording as a WAV file, 8 kHz 16-bit PCM: stereo for a recorded call (the caller on the left channel, the agent on the right), mono for a voicemail message. Honours HTTP Range requests, so a player can seek.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The WAV file */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "audio/wav": string;
                    };
                };
                /** @description The requested byte range of the WAV file */
                206: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "audio/wav": string;
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such call, or the call has no recording */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/media": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List uploaded audio files, newest first */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            media?: components["schemas"]["MediaFile"][];
                        };
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unknown or repeated query parameter: each named in errors */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        put?: never;
        /**
         * Upload a WAV file for prompts
         * @description A PCM WAV file (8 to 48 kHz, mono or stereo, 8- or 16-bit, at most 20 MiB), converted once to the 8 kHz mono audio calls play and kept as sent. Send it as the field "file" of a multipart/form-data body, with an optional field "name" (default: the file's name), or as the whole body (Content-Type audio/wav) named by ?name=. Flows play it as the prompt {"file_id": id}.
         */
        post: {
            parameters: {
                query?: {
                    /** @description the file's name, for a raw body */
                    name?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "multipart/form-data": {
                        /** Format: binary */
                        file: string;
                        name?: string;
                    };
                    "audio/wav": string;
                };
            };
            responses: {
                /** @description Created; Location names the new file */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["MediaFile"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description The file is larger than 20 MiB */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Not a WAV file calls can play (field "file", saying what was expected and what was found), or no name */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/media/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        /** Read an uploaded audio file's description */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["MediaFile"];
                    };
                };
                /** @description No such media file */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete an uploaded audio file */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description No such media file */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Call flows (their draft or published version) play the file; change them first */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["InUse"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/media/{id}/audio": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        /**
         * Download an uploaded audio file
         * @description The WAV file as it was uploaded. Honours HTTP Range requests, so a player can seek.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The WAV file */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "audio/wav": string;
                    };
                };
                /** @description The requested byte range of the WAV file */
                206: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "audio/wav": string;
                    };
                };
                /** @description No such media file */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/wallet": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The wallet: balance in credits and in the local currency, auto-recharge */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Wallet"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/wallet/check": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Re-derive the balance from the ledger and compare it with the cached one */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["LedgerAudit"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/wallet/quotes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Price credits in the local currency (good for 15 minutes) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        credits: components["schemas"]["Credits"];
                    };
                };
            };
            responses: {
                /** @description the quote */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Quote"];
                    };
                };
                /** @description invalid input: the fields and why */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/wallet/purchases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Purchase history, newest first */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            purchases?: components["schemas"]["Purchase"][];
                        };
                    };
                };
            };
        };
        put?: never;
        /** Buy a quote through the payment provider (built in: manual invoice); buying it again returns the first purchase */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        quote_id: number;
                    };
                };
            };
            responses: {
                /** @description the purchase */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Purchase"];
                    };
                };
                /** @description the provider refused the payment */
                402: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Purchase"];
                    };
                };
                /** @description invalid input: the fields and why */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/wallet/auto-recharge": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Auto-recharge: buy credits each time a charge takes the balance below min_balance (refused for a partner-managed organisation) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": components["schemas"]["AutoRecharge"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AutoRecharge"];
                    };
                };
                /** @description invalid input: the fields and why */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every rate */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            rates?: components["schemas"]["Rate"][];
                        };
                    };
                };
            };
        };
        put?: never;
        /** Add a rate */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": components["schemas"]["RateInput"];
                };
            };
            responses: {
                /** @description the rate */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Rate"];
                    };
                };
                /** @description invalid input: the fields and why */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rates/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        /** One rate */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Rate"];
                    };
                };
                /** @description no such rate */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        /** Change the fields given */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": components["schemas"]["RateInput"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Rate"];
                    };
                };
                /** @description no such rate */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description invalid input: the fields and why */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        /** Remove a rate */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description removed */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description no such rate */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/rates.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every rate as CSV (prefix,direction,number_type,price_per_minute,increment,connection_fee,description) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description CSV */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/csv": unknown;
                    };
                };
            };
        };
        put?: never;
        /** Import rates from CSV, all or none: rows add or replace the rate of their prefix, direction and number type */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "text/csv": unknown;
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            imported?: number;
                        };
                    };
                };
                /** @description invalid input: the fields and why */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/wallet/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Credits bought and used in a period of the organisation's calendar, used by category, and a daily series */
        get: {
            parameters: {
                query?: {
                    period?: "this_week" | "last_week" | "this_month" | "last_month" | "this_quarter" | "last_quarter" | "custom";
                    /** @description custom: first day */
                    from?: string;
                    /** @description custom: last day */
                    to?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Usage"];
                    };
                };
                /** @description unknown period or parameter, bad dates */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Notifications not dismissed, newest first, and how many are unread */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            notifications?: components["schemas"]["Notification"][];
                            unread?: number;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications/{id}/read": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Mark a notification read */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Notification"];
                    };
                };
                /** @description no such notification */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/notifications/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Dismiss a notification */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description dismissed */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description no such notification */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/numbers/available": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Numbers the trunks offer, to buy */
        get: {
            parameters: {
                query?: {
                    country?: string;
                    type?: string;
                    region?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            numbers?: components["schemas"]["AvailableNumber"][];
                        };
                    };
                };
                /** @description invalid input */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /** Add numbers to the inventory, all or none */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        numbers?: components["schemas"]["AvailableInput"][];
                    };
                };
            };
            responses: {
                /** @description OK */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            added?: number;
                        };
                    };
                };
                /** @description invalid input */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/numbers/available.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add numbers to the inventory from CSV (e164,trunk_id,country,type,region,monthly_price,address_required) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "text/csv": unknown;
                };
            };
            responses: {
                /** @description OK */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            added?: number;
                        };
                    };
                };
                /** @description invalid input */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/numbers/quotes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Quote an available number: its monthly price and the first charge */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        e164: string;
                        /** @description required when the number's entry says so */
                        address?: string;
                    };
                };
            };
            responses: {
                /** @description OK */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Offer"];
                    };
                };
                /** @description invalid input */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/numbers/purchases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Buy a quoted number: the first month is charged, the number becomes ours and its monthly charge begins */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        offer_id: number;
                    };
                };
            };
            responses: {
                /** @description OK */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            number?: components["schemas"]["Number"];
                            subscription?: components["schemas"]["Subscription"];
                        };
                    };
                };
                /** @description insufficient credit */
                402: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description invalid input */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/storage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The recording storage plan, its quota in minutes, the minutes used, auto-delete */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Storage"];
                    };
                };
            };
        };
        /** Auto-delete recordings 3 or 6 months after their date (0: keep) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        /** @enum {integer} */
                        auto_delete_months: 0 | 3 | 6;
                    };
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Storage"];
                    };
                };
                /** @description invalid input */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/storage/quotes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Quote a change of storage plan */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        plan: string;
                    };
                };
            };
            responses: {
                /** @description OK */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Offer"];
                    };
                };
                /** @description invalid input */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/storage/purchases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Move to the quoted plan: its first month is charged now, then monthly */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: {
                content: {
                    "application/json": {
                        offer_id: number;
                    };
                };
            };
            responses: {
                /** @description OK */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Storage"];
                    };
                };
                /** @description insufficient credit */
                402: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description invalid input */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flows/{id}/simulate": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: number;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Simulate one step of a call through the flow
         * @description Steps a caller through the draft (or the published version) without any call: the server follows the engine's own transitions, so the builder and the engine cannot disagree. Start with an empty `state`; then send the state the last step reached, one of its `events`, and its `answered`. A draft that is not valid yet is followed as far as it goes (`problems` says what publishing would refuse there); 422 says why where it cannot be (no start state, an unknown state, an event not possible in the state, a connection to no state).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    /**
                     * @example {
                     *       "version": "draft",
                     *       "state": "menu",
                     *       "event": "key:1",
                     *       "answered": true
                     *     }
                     */
                    "application/json": components["schemas"]["Simulation"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SimStep"];
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description No such resource */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live view: calls in progress, queue depths and who is online, pushed as server-sent events
         * @description A `text/event-stream` (open it with the browser's EventSource; the session cookie authenticates it). The first event is `snapshot` (a LiveSnapshot); then, as things change and only then, `call` (a LiveCall that is new or changed), `call_ended` (`{"id"}`), `queue` (a QueueDepth; `waiting` 0 when it emptied), `online` (an OnlineUser who came online or changed) and `offline` (`{"username"}`). Each `data` is one line of JSON. A comment line every 20 s keeps idle streams open. Changes close together arrive together. A client that falls 32 updates behind, or whose connection takes nothing for 10 s, is dropped: EventSource reconnects (after the `retry` of 2 s) and gets a fresh snapshot. At most 64 streams are open at once; more are answered 503 with Retry-After. Streams end when the server shuts down.
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The event stream */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        /**
                         * @example retry: 2000
                         *
                         *     event: snapshot
                         *     data: {"calls":[],"queues":[],"online":[]}
                         *
                         *     event: call
                         *     data: {"id":1,"call_id":"a84b4c76e66710","direction":"inbound","from":"+15551230000","to":"+15550001111","status":"routing","flow_id":2,"flow_name":"Support","state":"menu","state_type":"ivr","started_at":"2025-03-01T09:00:00Z","answered_at":"2025-03-01T09:00:01Z","since":"2025-03-01T09:00:01Z"}
                         */
                        "text/event-stream": string;
                    };
                };
                /** @description Missing or wrong bearer token */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Invalid input: each refused field with the reason */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                429: components["responses"]["TooManyGuesses"];
                /** @description Too many live view clients, or the server is shutting down; see Retry-After */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Error: {
            error?: string;
            errors?: {
                field?: string;
                message?: string;
            }[];
        };
        User: {
            id?: number;
            name?: string;
            extension?: string;
            sip_username?: string;
            allow_outbound?: boolean;
            record_outbound?: boolean;
            /** @description numbers the user may show when calling out: each must be one of the company's numbers (/api/v1/numbers); a number deleted leaves every list */
            caller_ids?: string[];
            allow_custom_caller_id?: boolean;
            group_ids?: number[];
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            updated_at?: string;
        };
        UserInput: {
            /** @description required on create */
            name?: string;
            /** @description required on create; unique */
            extension?: string;
            /** @description unique; defaults to the extension */
            sip_username?: string;
            /** @description required on create and when sip_username changes; never returned */
            sip_password?: string;
            allow_outbound?: boolean;
            record_outbound?: boolean;
            /** @description numbers the user may show when calling out: each must be one of the company's numbers (/api/v1/numbers); a number deleted leaves every list */
            caller_ids?: string[];
            allow_custom_caller_id?: boolean;
            /** @description the user's groups; joining appends the user to the end of a group */
            group_ids?: number[];
        };
        Group: {
            id?: number;
            name?: string;
            description?: string;
            /** @description in ring order */
            member_ids?: number[];
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            updated_at?: string;
        };
        GroupInput: {
            /** @description required on create; unique */
            name?: string;
            description?: string;
            /** @description replaces the members, in this order */
            member_ids?: number[];
        };
        Registration: {
            user_id?: number;
            username?: string;
            contact?: string;
            instance?: string;
            /** @description address the REGISTER came from (ip:port) */
            source?: string;
            transport?: string;
            user_agent?: string;
            /** @description contact differs from source: reached at source, kept open by keepalives */
            nat?: boolean;
            /** Format: date-time */
            expires_at?: string;
            /** Format: date-time */
            registered_at?: string;
            expires_in?: number;
        };
        SignIn: {
            /** @description the admin password; PBX_ADMIN_TOKEN until the admin sets one */
            password: string;
        };
        Session: {
            /**
             * @description how this request was authenticated
             * @enum {string}
             */
            auth?: "session" | "token";
            /** @description send back in X-CSRF-Token on requests that change state (sessions only) */
            csrf_token?: string;
            /** Format: date-time */
            expires_at?: string;
            /** @description false while the admin password is still PBX_ADMIN_TOKEN */
            password_set?: boolean;
        };
        PasswordChange: {
            current_password: string;
            /** @description 12 characters to 72 bytes; not the current password; not one repeated character */
            new_password: string;
        };
        APIToken: {
            id?: number;
            name?: string;
            /** @description the first characters of the secret, to recognise it */
            prefix?: string;
            /** Format: date-time */
            created_at?: string;
            /**
             * Format: date-time
             * @description to the minute
             */
            last_used_at?: string | null;
        };
        CreatedAPIToken: components["schemas"]["APIToken"] & {
            /** @description the secret bearer token; shown only in this answer */
            token?: string;
        };
        TokenInput: {
            name: string;
        };
        /** @description What a caller hears: exactly one of text (read aloud), file_id (an uploaded WAV) or url. */
        Prompt: {
            text?: string;
            file_id?: number;
            /**
             * Format: uri
             * @description http:// or https://
             */
            url?: string;
        };
        /** @description Holds callers while the user, or every member of the group, is on another call. */
        Queue: {
            /** @description 0 turns queuing off */
            max_calls?: number;
            notify?: components["schemas"]["Prompt"];
            music?: components["schemas"]["Prompt"];
            /** @description how many times music plays; 0 plays it until the call leaves the queue */
            music_repeat?: number;
        };
        /** @description One step of a flow. Only the options of its type may be set (others are refused). Exits (connection outcomes) by type: start: next (exactly one); announce: next (0 or 1; none hangs up after the prompt); transfer_user, transfer_group: timeout, unavailable, busy (each at most once); ivr: menu keys 0-9 and * (up to 11, at least one to publish) plus timeout, taken when no key is pressed within 5 seconds of the prompt's end; voicemail: timeout (at most one). A state without a connection for an outcome ends the call there. */
        FlowState: {
            /** @description unique in the flow */
            id: string;
            /** @enum {string} */
            type: "start" | "transfer_user" | "transfer_group" | "ivr" | "announce" | "voicemail";
            /** @description transfer_user: the user to ring; required to publish */
            user_id?: number;
            /** @description transfer_group: the group to ring; required to publish */
            group_id?: number;
            /**
             * @description transfer_group; default parallel
             * @enum {string}
             */
            ring?: "parallel" | "sequential";
            /** @description transfers: how long to ring (per member when sequential); default 30, 20 when sequential */
            ring_seconds?: number;
            /** @description transfers: record the call */
            record?: boolean;
            queue?: components["schemas"]["Queue"];
            /** @description ivr, announce, voicemail; required to publish */
            prompt?: components["schemas"]["Prompt"];
            /** @description voicemail: silence before it takes its timeout exit; default 10 */
            timeout_seconds?: number;
            /** @description voicemail: longest message; default 120 */
            max_seconds?: number;
            /** @description Where the admin app's builder draws the state, in canvas pixels (each within 1000000 of 0). Layout only: calls ignore it, and a draft that differs from the published version only in positions has no unpublished changes. Left out, the builder lays the flow out itself. */
            position?: {
                x: number;
                y: number;
            };
        };
        /** @description Leads a call that leaves state `from` by `outcome` to state `to`. Nothing may lead into the start state, a state accepts at most 10 connections, and no state may lead back to itself (no cycles). */
        FlowConnection: {
            from: string;
            /** @enum {string} */
            outcome: "next" | "timeout" | "unavailable" | "busy" | "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "*";
            to: string;
        };
        /** @description A call flow as the builder edits it. A saved draft must be well-formed (every value valid, the connection rules kept, no cycles) but may be unfinished: the start state, its connection, prompts, user_id and group_id may be missing. Publishing requires all of them and checks that the users, groups and numbers exist. Options left out (or 0) get their defaults, which the API returns filled in. At most 100 states and 1000 connections. */
        FlowDocument: {
            /** @description required; unique among flows */
            name?: string;
            description?: string;
            /** @description Numbers this flow answers. Applied when the flow is published: the listed numbers (which must exist and not answer another flow) are linked to it and its other numbers unlinked. Linking a number through /numbers adds it here too. */
            numbers?: string[];
            states?: components["schemas"]["FlowState"][];
            connections?: components["schemas"]["FlowConnection"][];
        };
        /** @description A flow's draft and published version side by side. Calls run the published version only. */
        Flow: {
            id?: number;
            /** @description the draft's name */
            name?: string;
            description?: string;
            /** @description calls to the numbers of a disabled flow are rejected */
            enabled?: boolean;
            /** @description numbers linked to the flow now */
            numbers?: string[];
            draft?: components["schemas"]["FlowDocument"];
            /** @description null until first published; its numbers are those linked now */
            published?: components["schemas"]["FlowDocument"] | null;
            /** @description 0 until first published */
            published_version?: number;
            /** Format: date-time */
            published_at?: string | null;
            /** @description the draft differs from the published version */
            unpublished_changes?: boolean;
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            updated_at?: string;
        };
        FlowVersion: {
            flow_id?: number;
            version?: number;
            document?: components["schemas"]["FlowDocument"];
            /** Format: date-time */
            published_at?: string;
        };
        Number: {
            id?: number;
            e164?: string;
            /** @enum {string} */
            type?: "local" | "mobile" | "toll_free";
            country?: string;
            region?: string;
            address?: string;
            trunk_id?: number | null;
            flow_id?: number | null;
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            updated_at?: string;
        };
        /** @description A number as GET /numbers lists it: with its monthly charge. */
        ListedNumber: components["schemas"]["Number"] & {
            /** @description what the number costs each month, for a number bought through /numbers/purchases; null for a number added by hand, which is not billed here */
            monthly_price: components["schemas"]["Credits"] | null;
            /** @description monthly_price in the local currency; absent when monthly_price is null */
            monthly_price_local?: string;
        };
        /** @description A local number needs a region; a mobile number the subscriber's address; a toll-free number neither. On update, fields left out keep their value. */
        NumberInput: {
            /** @description required on create; unique */
            e164?: string;
            /**
             * @description required on create
             * @enum {string}
             */
            type?: "local" | "mobile" | "toll_free";
            /** @description required on create; ISO 3166-1 alpha-2, and one of the countries whose numbers begin with the calling code of e164 (+1876 is JM, not US); a number that begins with no country's code (+800, +882 ...) is refused */
            country?: string;
            /** @description required for local numbers */
            region?: string;
            /** @description required for mobile numbers */
            address?: string;
            /** @description the carrier trunk the number comes from: a trunk that exists (else 422 on trunk_id); null clears it */
            trunk_id?: number | null;
            /** @description the flow that answers the number (this is the link's one record; the flow's draft lists it too); null unlinks it */
            flow_id?: number | null;
        };
        Trunk: {
            id?: number;
            /** @description the password itself is never returned */
            has_password?: boolean;
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            updated_at?: string;
            name?: string;
            /** @description IP address or host name of the carrier */
            host?: string;
            /** @default 5060 */
            port: number;
            /**
             * @default udp
             * @enum {string}
             */
            transport: "udp" | "tcp";
            /** @description digest user toward the carrier */
            username?: string;
            /** @description register to the carrier (needs username and password) */
            register?: boolean;
            /** @description source networks (or single addresses) whose INVITEs are this trunk's calls; the most specific wins */
            inbound_cidrs?: string[];
            /**
             * @default e164
             * @enum {string}
             */
            caller_id_format: "e164" | "digits" | "national";
            /** @default true */
            enabled: boolean;
            /** @description the PBX's own registration to the carrier, live; present only for a trunk with register set */
            registration?: {
                registered: boolean;
                /**
                 * Format: date-time
                 * @description when the registration lapses unless renewed (renewed at half its time); absent while not registered
                 */
                expires_at?: string;
                /** @description why the last attempt failed (retried every 30 s); absent after a success */
                error?: string;
            };
        };
        TrunkInput: {
            /** @description stored to answer the carrier's challenges; never returned */
            password?: string;
            name?: string;
            /** @description IP address or host name of the carrier */
            host?: string;
            /** @default 5060 */
            port: number;
            /**
             * @default udp
             * @enum {string}
             */
            transport: "udp" | "tcp";
            /** @description digest user toward the carrier */
            username?: string;
            /** @description register to the carrier (needs username and password) */
            register?: boolean;
            /** @description source networks (or single addresses) whose INVITEs are this trunk's calls; the most specific wins */
            inbound_cidrs?: string[];
            /**
             * @default e164
             * @enum {string}
             */
            caller_id_format: "e164" | "digits" | "national";
            /** @default true */
            enabled: boolean;
        };
        CallRecord: {
            id?: number;
            /** @description the SIP Call-ID, or the PBX's id for the call */
            call_id?: string;
            /** @enum {string} */
            direction?: "inbound" | "outbound" | "internal";
            /**
             * @description incoming: answered; missed: an inbound or internal call nobody answered
             * @enum {string}
             */
            type?: "incoming" | "outgoing" | "missed";
            /** @description the caller: a number, an extension or a user name */
            from?: string;
            /** @description the party called */
            to?: string;
            /** @description the E.164 number called, for inbound calls; empty otherwise */
            number?: string;
            /** @description who answered an incoming call or placed an outgoing one; for a call missed by one user, that user */
            owner_user_id?: number | null;
            trunk_id?: number | null;
            flow_id?: number | null;
            /** Format: date-time */
            started_at?: string;
            /** Format: date-time */
            answered_at?: string | null;
            /** Format: date-time */
            ended_at?: string;
            /** @description from answer to end; 0 if not answered */
            duration_seconds?: number;
            /** @description why the call ended, in a few words: caller hung up, callee hung up, completed (the flow ended it), no media, no answer, busy, unavailable, no such number, no flow, flow disabled, flow not published, voicemail, overloaded (the server had no RTP ports left: answered 503), server shutdown, server restart (the server stopped without ending the call: a crash), ... */
            hangup_cause?: string;
            /** @description the final SIP status: 200 answered, 487 the caller hung up first, otherwise the rejection's code */
            sip_code?: number;
            /** @description length of the call's recording or voicemail message; 0 if none */
            recording_seconds?: number;
            /** @description a recording (a recorded call, or a voicemail message) can be fetched from /api/v1/calls/{id}/recording */
            has_recording?: boolean;
            /** @description the recording is a voicemail message the caller left */
            voicemail?: boolean;
            /**
             * @description what the call cost, a decimal string of credits
             * @example 0.06
             */
            credits_charged?: string;
            /**
             * @description the rate the call was charged at (price per minute, increments, connection fee); empty when free
             * @example 0.02/min 60/60
             */
            rate?: string;
            /** @description credits_charged in the local currency (when billing is on) */
            credits_charged_local?: string;
        };
        /** @description An uploaded audio file, described as it was sent. */
        MediaFile: {
            id?: number;
            name?: string;
            /** @description the uploaded file's size */
            size_bytes?: number;
            /** @description how long it plays, to the millisecond */
            duration_seconds?: number;
            /** @description samples a second, as uploaded (calls play it at 8000) */
            sample_rate?: number;
            /** @enum {integer} */
            channels?: 1 | 2;
            /** @enum {integer} */
            bit_depth?: 8 | 16;
            /** Format: date-time */
            created_at?: string;
        };
        /** @description Deleting something still in use is refused; the answer names what uses it. */
        InUse: {
            error?: string;
            /** @description names of the call flows (draft or published version) that use it */
            flows?: string[];
            /** @description the numbers (E.164) that use it */
            numbers?: string[];
        };
        StoragePlan: {
            /** @enum {string} */
            name?: "free" | "50k" | "200k" | "1m";
            minutes?: number;
            monthly_price?: components["schemas"]["Credits"];
            /** @description monthly_price, in the local currency */
            monthly_price_local?: string;
        };
        Storage: {
            plan?: string;
            quota_minutes?: number;
            used_minutes?: number;
            /** @enum {integer} */
            auto_delete_months?: 0 | 3 | 6;
            plans?: components["schemas"]["StoragePlan"][];
        };
        /**
         * @description credits as a decimal string (1 credit = 1 USD), never a JSON number
         * @example 12.5
         */
        Credits: string;
        AutoRecharge: {
            enabled: boolean;
            min_balance?: components["schemas"]["Credits"];
            credits?: components["schemas"]["Credits"];
            /** @description min_balance, in the local currency */
            min_balance_local?: string;
            /** @description credits, in the local currency */
            credits_local?: string;
        };
        Wallet: {
            balance?: components["schemas"]["Credits"];
            /** @example EUR */
            currency?: string;
            /** @example 11.50 */
            balance_local?: string;
            /** @example 0.92 */
            exchange_rate?: string;
            auto_recharge?: components["schemas"]["AutoRecharge"];
            partner_managed?: boolean;
        };
        Quote: {
            id?: number;
            credits?: components["schemas"]["Credits"];
            /** @description in the local currency */
            price?: string;
            currency?: string;
            /** Format: date-time */
            expires_at?: string;
            /** Format: date-time */
            created_at?: string;
        };
        Purchase: {
            id?: number;
            quote_id?: number | null;
            credits?: components["schemas"]["Credits"];
            price?: string;
            currency?: string;
            /** @example manual */
            provider?: string;
            /** @example INV-2026-000001 */
            reference?: string;
            /** @enum {string} */
            status?: "paid" | "pending" | "failed";
            reason?: string;
            /**
             * @description who bought: "admin (signed in)", API token "<its name>", or auto-recharge
             * @example API token "CRM sync"
             */
            bought_by?: string;
            automatic?: boolean;
            /** Format: date-time */
            created_at?: string;
        };
        LedgerAudit: {
            balance?: components["schemas"]["Credits"];
            sum?: components["schemas"]["Credits"];
            entries?: number;
            consistent?: boolean;
        };
        Rate: {
            id?: number;
            /** @description digits of the E.164 number without +; empty matches every number; the longest prefix wins */
            prefix?: string;
            /** @enum {string} */
            direction?: "inbound" | "outbound";
            /** @enum {string} */
            number_type?: "" | "local" | "mobile" | "toll_free";
            price_per_minute?: components["schemas"]["Credits"];
            /**
             * @description first/next billing increments in seconds
             * @example 60/60
             */
            increment?: string;
            connection_fee?: components["schemas"]["Credits"];
            description?: string;
            /** Format: date-time */
            created_at?: string;
            /** Format: date-time */
            updated_at?: string;
            /** @description price_per_minute, in the local currency */
            price_per_minute_local?: string;
            /** @description connection_fee, in the local currency */
            connection_fee_local?: string;
        };
        RateInput: {
            /** @description digits of the E.164 number without +; empty matches every number; the longest prefix wins */
            prefix?: string;
            /** @enum {string} */
            direction: "inbound" | "outbound";
            /** @enum {string} */
            number_type?: "" | "local" | "mobile" | "toll_free";
            price_per_minute: components["schemas"]["Credits"];
            /**
             * @description first/next billing increments in seconds
             * @example 60/60
             */
            increment?: string;
            connection_fee?: components["schemas"]["Credits"];
            description?: string;
        };
        Usage: {
            period?: string;
            /** Format: date-time */
            from?: string;
            /** Format: date-time */
            to?: string;
            bought?: components["schemas"]["Credits"];
            used?: components["schemas"]["Credits"];
            by_category?: {
                inbound?: components["schemas"]["Credits"];
                outbound?: components["schemas"]["Credits"];
                numbers?: components["schemas"]["Credits"];
                storage?: components["schemas"]["Credits"];
            };
            daily?: {
                /** @example 2026-03-02 */
                date?: string;
                bought?: components["schemas"]["Credits"];
                used?: components["schemas"]["Credits"];
                /** @description bought, in the local currency */
                bought_local?: string;
                /** @description used, in the local currency */
                used_local?: string;
            }[];
            currency?: string;
            /** @description bought, in the local currency */
            bought_local?: string;
            /** @description used, in the local currency */
            used_local?: string;
            /** @description by_category in the local currency */
            by_category_local?: {
                [key: string]: string;
            };
        };
        Notification: {
            id?: number;
            /** @enum {string} */
            kind?: "low_balance" | "auto_recharge_done" | "auto_recharge_failed" | "quota_reached" | "charge_failed" | "number_released";
            title?: string;
            message?: string;
            read?: boolean;
            /** Format: date-time */
            created_at?: string;
        };
        AvailableNumber: {
            id?: number;
            e164?: string;
            trunk_id?: number;
            country?: string;
            /** @enum {string} */
            type?: "local" | "mobile" | "toll_free";
            region?: string;
            monthly_price?: components["schemas"]["Credits"];
            address_required?: boolean;
            /** Format: date-time */
            created_at?: string;
            /** @description monthly_price, in the local currency */
            monthly_price_local?: string;
        };
        AvailableInput: {
            e164: string;
            trunk_id: number;
            country: string;
            type: string;
            /** @description required for local numbers */
            region?: string;
            monthly_price: components["schemas"]["Credits"];
            address_required?: boolean;
        };
        Offer: {
            id?: number;
            /** @enum {string} */
            kind?: "number" | "storage";
            ref?: string;
            monthly_price?: components["schemas"]["Credits"];
            first_charge?: components["schemas"]["Credits"];
            /** Format: date-time */
            expires_at?: string;
            /** Format: date-time */
            created_at?: string;
            currency?: string;
            monthly_price_local?: string;
            first_charge_local?: string;
        };
        Subscription: {
            id?: number;
            kind?: string;
            ref?: string;
            monthly_price?: components["schemas"]["Credits"];
            /** Format: date-time */
            started_at?: string;
            /** Format: date-time */
            ended_at?: string;
            /** Format: date-time */
            unpaid_since?: string;
            /** @description monthly_price, in the local currency */
            monthly_price_local?: string;
        };
        /** @description One step of a simulated call. */
        Simulation: {
            /**
             * @default draft
             * @enum {string}
             */
            version: "draft" | "published";
            /** @description The id of the state the call is in; empty starts a call (at the start state, by next). */
            state?: string;
            /**
             * @description What happens in the state: `next` (start, announce), `key:0`-`key:9` and `key:*` (ivr: only keys with a connection; the engine ignores the others), `timeout`, `busy`, `unavailable` (transfers; `busy` means everyone busy and the queue full or off), `answer` (a transfer is picked up), `message` (voicemail: the caller leaves one); `timeout` also at ivr and voicemail. The previous step's `events` lists them.
             * @example key:1
             */
            event?: string;
            /**
             * @description The previous step's `answered`: once the PBX answered the caller (an ivr, announce or voicemail state), an ending hangs up instead of sending an error answer.
             * @default false
             */
            answered: boolean;
        };
        /** @description Where a simulated call went. It follows the call engine's own transitions and endings. */
        SimStep: {
            /** @enum {string} */
            version: "draft" | "published";
            /** @description The state the call left (the start state when it started). */
            from: string;
            event: string;
            /** @description The flow exit taken (`next`, `1`, `timeout` ...); absent for `answer` and `message`. */
            outcome?: string;
            /** @description The state the call is in now, with the options a call uses (defaults filled in); null once the call has ended. */
            state: components["schemas"]["FlowState"] | null;
            action: {
                /** @enum {string} */
                kind: "ring_user" | "ring_group" | "menu" | "announce" | "voicemail";
                /** @example Rings the group Sales, one member at a time, 20 s each; the call is recorded. */
                summary: string;
                user_name?: string;
                group_name?: string;
            } | null;
            /** @description How the call ended; null while it goes on. */
            end: {
                /**
                 * @description 200 once the call was answered (the PBX or a user); else the error answer sent.
                 * @example 486
                 */
                sip_code: number;
                /** @example Busy Here */
                reason: string;
                /**
                 * @description The hang-up cause the call record would show.
                 * @example busy
                 */
                cause: string;
                summary: string;
            } | null;
            /** @description The PBX has answered the caller by now; send it with the next step. */
            answered: boolean;
            /** @description What can happen in `state` next; empty once ended. */
            events: string[];
            /** @description What publishing would refuse about this state (and, at the start, the flow), by field path: a draft is followed as far as it goes. */
            problems: {
                field?: string;
                message?: string;
            }[];
        };
        /** @description A call in progress. */
        LiveCall: {
            /** @description Tells this call apart from every other of this server run; `call_ended` names it. */
            id: number;
            /** @description Its record in /api/v1/calls (absent if it could not be stored). */
            record_id?: number;
            /** @description The SIP Call-ID. */
            call_id: string;
            /** @enum {string} */
            direction: "inbound" | "outbound" | "internal";
            /** @description The caller: a number or a user name. */
            from: string;
            /** @description The number, extension or user called. */
            to: string;
            /**
             * @description routing: in a flow state (menu, announcement, voicemail); ringing: phones ring; queued: waiting in a queue; connected: talking to a user or the far end.
             * @enum {string}
             */
            status: "routing" | "ringing" | "queued" | "connected";
            /** @description The user the call is with: who answered, who called out, or whose phone rings. */
            user_id?: number;
            flow_id?: number;
            flow_name?: string;
            /** @description The id of the flow state the call is in. */
            state?: string;
            /** @enum {string} */
            state_type?: "start" | "transfer_user" | "transfer_group" | "ivr" | "announce" | "voicemail";
            /**
             * @description The queue the call waits in, while queued.
             * @example group 3
             */
            queue?: string;
            /** Format: date-time */
            started_at: string;
            /** Format: date-time */
            answered_at?: string;
            /**
             * Format: date-time
             * @description When the status or state last changed.
             */
            since: string;
        };
        QueueDepth: {
            /** @example group 3 */
            queue: string;
            /** @enum {string} */
            kind: "group" | "user";
            id: number;
            /** @description Callers waiting; 0 when the queue has just emptied. */
            waiting: number;
        };
        OnlineUser: {
            username: string;
            user_id: number;
            /** @description Devices registered. */
            devices: number;
            /**
             * Format: date-time
             * @description When the earliest device registered.
             */
            since: string;
            /** @description In a connected call now. */
            on_call: boolean;
        };
        LiveSnapshot: {
            calls: components["schemas"]["LiveCall"][];
            queues: components["schemas"]["QueueDepth"][];
            online: components["schemas"]["OnlineUser"][];
        };
    };
    responses: {
        /** @description Too many wrong bearer tokens or passwords from this address; wait Retry-After seconds */
        TooManyGuesses: {
            headers: {
                /** @description seconds to wait */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
